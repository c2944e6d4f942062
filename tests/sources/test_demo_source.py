"""The demo source: contract shape, determinism, referential sanity and realism of what it generates.

Expected values are worked out from the emitted tables with DuckDB SQL, never
with the generator's own helpers.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from dagster_project.sources.demo import DemoSource, events
from dagster_project.sources.extract import TableExtract
from dagster_project.sources.raw_tables import RAW_TABLES

END = dt.date(2025, 3, 31)
TINY = {"accounts": 60, "days": 90, "seed": 5, "end_date": END}
# Big enough for churn, reactivations and plan changes to occur, small enough for a second.
MEDIUM = {"accounts": 400, "days": 365, "seed": 11, "end_date": END}
ALL = list(RAW_TABLES)
# Scheduled dates lie after the window by nature: the next renewal, a payment due date.
FUTURE_COLUMNS = {
    ("stripe_subscriptions", "current_period_end"),
    ("stripe_invoices", "due_at"),
    ("stripe_invoices", "period_end"),
    ("stripe_invoice_line_items", "period_end"),
}


def _extracts(source: DemoSource, tables: list[str]) -> dict[str, list[pa.Table]]:
    return {e.table: [b.rows for b in e.batches] for e in source.extract(tables, {})}


def _tables(source: DemoSource, tables: list[str] = ALL) -> dict[str, pa.Table]:
    return {name: pa.concat_tables(batches) for name, batches in _extracts(source, tables).items()}


# Every check of what the world holds must hold for a world seen before its end too: nothing after the
# day it is seen from, references resolved, statuses as they stood that day.
@pytest.fixture(scope="module", params=[0, 60], ids=["world-ends-on-end-date", "world-runs-60-days-ahead"])
def medium_batches(request: pytest.FixtureRequest) -> dict[str, list[pa.Table]]:
    return _extracts(DemoSource(**MEDIUM, days_ahead=request.param), ALL)


@pytest.fixture(scope="module")
def db(medium_batches: dict[str, list[pa.Table]]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for name, batches in medium_batches.items():
        con.register(name, pa.concat_tables(batches))
    return con


def _one(con: duckdb.DuckDBPyConnection, sql: str):
    return con.sql(sql).fetchall()[0][0]


# --- the Source contract ------------------------------------------------------------------------


def test_extract_yields_one_replace_extract_per_requested_table_in_order() -> None:
    source = DemoSource(**TINY)
    requested = ["intercom_tickets", "stripe_customers", "intercom_events"]
    # A cursor this source did not write (an api source's) starts a new world.
    extracts = list(source.extract(requested, {"intercom_events": "1711929600"}))
    assert source.name == "demo"
    assert [e.table for e in extracts] == requested
    for e in extracts:
        assert isinstance(e, TableExtract)
        assert e.mode == "replace"
        assert e.origin == "demo generator seed=5, as of 2025-03-31"
        batches = list(e.batches)
        assert batches and all(b.quarantined == [] and b.read == b.rows.num_rows for b in batches)


def test_unknown_table_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown raw tables"):
        list(DemoSource(**TINY).extract(["stripe_charges"], {}))


def test_end_date_defaults_to_yesterday_utc_at_call_time() -> None:
    source = DemoSource(accounts=3, days=10)
    yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    assert source.params().end_date == yesterday
    created = _tables(source, ["stripe_customers"])["stripe_customers"]
    assert pc.max(created["created_at"]).as_py() < dt.datetime.combine(yesterday, dt.time()) + dt.timedelta(1)


def test_every_batch_has_the_contract_schema_and_required_values(
    medium_batches: dict[str, list[pa.Table]],
) -> None:
    assert list(medium_batches) == ALL
    for name, batches in medium_batches.items():
        contract = RAW_TABLES[name]
        assert batches, name
        for rows in batches:
            assert rows.schema.equals(contract.arrow_schema), name
            for column in contract.required_columns:
                assert rows[column].null_count == 0, f"{name}.{column} has nulls"


def test_primary_keys_are_unique(db: duckdb.DuckDBPyConnection) -> None:
    for name, contract in RAW_TABLES.items():
        pk = contract.primary_key
        rows, keys = db.sql(f"select count(*), count(distinct {pk}) from {name}").fetchall()[0]
        assert rows > 0 and rows == keys, name


def test_events_stream_in_bounded_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(events, "ROWS_PER_BATCH", 2_000)
    batches = _extracts(DemoSource(**TINY), ["intercom_events"])["intercom_events"]
    assert len(batches) > 3
    assert max(b.num_rows for b in batches) < 5 * 2_000
    ids = pa.concat_tables(batches)["event_id"]
    assert pc.count_distinct(ids).as_py() == len(ids)


def test_only_the_requested_tables_are_generated(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_events(*args, **kwargs):
        raise AssertionError("events generated for a billing-only request")

    monkeypatch.setattr(events, "_day", no_events)
    customers = _tables(DemoSource(**TINY), ["stripe_customers"])["stripe_customers"]
    assert customers.num_rows == TINY["accounts"]


# --- determinism --------------------------------------------------------------------------------


def test_same_parameters_give_identical_tables() -> None:
    first, second = _tables(DemoSource(**TINY)), _tables(DemoSource(**TINY))
    for name in ALL:
        assert first[name].equals(second[name]), name


def test_another_seed_gives_other_data() -> None:
    requested = ["stripe_customers", "intercom_events"]
    first = _tables(DemoSource(**TINY), requested)
    other = _tables(DemoSource(**{**TINY, "seed": 6}), requested)
    for name in requested:
        assert not first[name].equals(other[name]), name


def test_a_subset_equals_the_same_tables_of_a_full_run() -> None:
    full = _tables(DemoSource(**TINY))
    subset = ["intercom_survey_responses", "stripe_invoice_line_items", "intercom_events"]
    for name, table in _tables(DemoSource(**TINY), subset).items():
        assert table.equals(full[name]), name


# --- referential sanity -------------------------------------------------------------------------


def test_billing_references_resolve(db: duckdb.DuckDBPyConnection) -> None:
    orphans = {
        "subscriptions without customer": """select count(*) from stripe_subscriptions s
            where s.customer_id not in (select customer_id from stripe_customers)""",
        "items without subscription": """select count(*) from stripe_subscription_items
            where subscription_id not in (select subscription_id from stripe_subscriptions)""",
        "invoices without subscription": """select count(*) from stripe_invoices i
            left join stripe_subscriptions s using (subscription_id)
            where s.subscription_id is null or s.customer_id <> i.customer_id""",
        "lines without invoice": """select count(*) from stripe_invoice_line_items
            where invoice_id not in (select invoice_id from stripe_invoices)""",
        "lines of another subscription": """select count(*) from stripe_invoice_line_items l
            join stripe_invoices i using (invoice_id) where l.subscription_id <> i.subscription_id""",
        "lines without item": """select count(*) from stripe_invoice_line_items
            where subscription_item_id not in (select subscription_item_id from stripe_subscription_items)""",
    }
    for what, sql in orphans.items():
        assert _one(db, sql) == 0, what
    assert _one(db, "select count(*) - count(distinct subscription_id) from stripe_subscription_items") == 0


def test_invoice_amounts_add_up(db: duckdb.DuckDBPyConnection) -> None:
    mismatched = _one(
        db,
        """select count(*) from stripe_invoices i
        join (select invoice_id, sum(amount) as total from stripe_invoice_line_items group by 1) l
          using (invoice_id)
        where i.amount_due <> l.total
           or i.amount_due < 0
           or i.amount_paid + i.amount_remaining <> i.amount_due and i.status <> 'void'""",
    )
    assert mismatched == 0
    regular_wrong = _one(
        db,
        """select count(*) from stripe_invoice_line_items
        where not proration and amount <> unit_amount * quantity""",
    )
    assert regular_wrong == 0
    paid_wrong = _one(
        db, "select count(*) from stripe_invoices where (status = 'paid') <> (paid_at is not null)"
    )
    assert paid_wrong == 0


def test_no_timestamp_after_end_date(db: duckdb.DuckDBPyConnection) -> None:
    limit = dt.datetime.combine(END + dt.timedelta(days=1), dt.time())
    for name, contract in RAW_TABLES.items():
        for column in contract.columns:
            if column.type == pa.timestamp("us") and (name, column.name) not in FUTURE_COLUMNS:
                latest = _one(db, f"select max({column.name}) from {name}")
                assert latest is None or latest < limit, f"{name}.{column.name} = {latest}"


def test_intercom_rows_point_at_their_accounts_contacts(db: duckdb.DuckDBPyConnection) -> None:
    for name in (
        "intercom_events",
        "intercom_tickets",
        "intercom_conversations",
        "intercom_survey_responses",
    ):
        wrong = _one(
            db,
            f"""select count(*) from {name} r left join intercom_contacts c using (contact_id)
            where c.contact_id is null or c.account_id <> r.account_id""",
        )
        assert wrong == 0, name
    early = _one(
        db,
        """select count(*) from intercom_events e join intercom_contacts c using (contact_id)
        where e.occurred_at < c.created_at""",
    )
    assert early == 0
    assert _one(db, "select count(*) from intercom_events e join intercom_contacts c using (contact_id) "
                    "where c.role = 'lead'") == 0  # fmt: skip


# --- realism ------------------------------------------------------------------------------------


def test_plans_change_inside_subscriptions_both_ways(db: duckdb.DuckDBPyConnection) -> None:
    moves = db.sql(
        """with regular as (
            select subscription_id, unit_amount * quantity as amount,
                   lag(unit_amount * quantity) over (
                       partition by subscription_id order by period_start) as before
            from stripe_invoice_line_items where not proration)
        select count(distinct subscription_id) filter (where amount > before),
               count(distinct subscription_id) filter (where amount < before)
        from regular"""
    ).fetchall()[0]
    upgrades, downgrades = moves
    assert upgrades > 0 and downgrades > 0
    assert _one(db, "select count(*) from stripe_invoice_line_items where proration") >= 2 * (
        upgrades + downgrades
    )


def test_cancellations_reactivations_trials_and_failed_payments_occur(db: duckdb.DuckDBPyConnection) -> None:
    statuses = dict(db.sql("select status, count(*) from stripe_subscriptions group by 1").fetchall())
    assert statuses.get("canceled", 0) > 0 and statuses.get("active", 0) > 0
    assert _one(db, "select count(*) from stripe_subscriptions where cancel_at_period_end") > 0
    reactivated = _one(
        db,
        """select count(distinct later.customer_id) from stripe_subscriptions later
        join stripe_subscriptions earlier using (customer_id)
        where earlier.ended_at is not null and later.created_at >= earlier.ended_at + interval 28 day""",
    )
    assert reactivated > 0
    assert _one(db, "select count(*) from stripe_invoices where status in ('open', 'uncollectible')") > 0
    assert _one(db, "select count(*) from stripe_invoices where attempt_count > 1") > 0
    assert _one(db, "select count(*) from stripe_customers where delinquent") > 0
    intervals = db.sql(
        "select distinct interval || interval_count from stripe_subscription_items order by 1"
    ).fetchall()
    assert {i for (i,) in intervals} == {"month1", "month3", "year1"}


def test_churn_rate_is_plausible(db: duckdb.DuckDBPyConnection) -> None:
    rate = _one(
        db,
        f"""select count(ended_at) / (sum(date_diff('day',
              greatest(created_at, date '{END}' - interval 364 day),
              coalesce(ended_at, date '{END}' + interval 1 day))) / 365)
        from stripe_subscriptions""",
    )
    assert 0.08 < rate < 0.35


def test_volumes_follow_the_parameters(db: duckdb.DuckDBPyConnection) -> None:
    contacts_per_company = _one(
        db, "select (select count(*) from intercom_contacts) / count(*) from intercom_companies"
    )
    assert 7 < contacts_per_company < 13
    # Events per active account-day: subscription days of billed accounts.
    per_day = _one(
        db,
        f"""with live as (
            select c.account_id, sum(date_diff('day', greatest(s.created_at, date '{END}' - interval 364 day),
                                     coalesce(s.ended_at, date '{END}' + interval 1 day))) as days
            from stripe_subscriptions s join stripe_customers c using (customer_id) group by 1)
        select (select count(*) from intercom_events where account_id in (select account_id from live))
               / sum(days) from live""",
    )
    assert 2.0 < per_day < 4.5
    assert _one(db, "select count(distinct event_name) from intercom_events") >= 20


def test_support_and_survey_values(db: duckdb.DuckDBPyConnection) -> None:
    priorities = {p for (p,) in db.sql("select distinct priority from intercom_tickets").fetchall()}
    assert priorities == {"low", "normal", "high", "urgent"}
    assert _one(db, "select count(*) from intercom_tickets where closed_at is null") > 0
    assert (
        _one(db, "select count(*) from intercom_tickets where state = 'resolved' and closed_at is null") == 0
    )
    ranges = dict(
        (kind, (lo, hi))
        for kind, lo, hi in db.sql(
            "select survey_type, min(score), max(score) from intercom_survey_responses group by 1"
        ).fetchall()
    )
    assert 0 <= ranges["nps"][0] <= 6 and 9 <= ranges["nps"][1] <= 10
    assert ranges["csat"][0] >= 1 and ranges["csat"][1] <= 5
    assert _one(db, "select count(*) from intercom_tickets where rating not between 1 and 5") == 0
    initiated = {i for (i,) in db.sql("select distinct initiated_by from intercom_conversations").fetchall()}
    assert initiated == {"customer", "team"}


# Accounts that churned, with the 90 days before their last subscription ended, against accounts
# that never churned, with the last 90 days of the window.
_LAST_90_DAYS = f"""
    with subs as (
        select c.account_id, s.created_at, s.ended_at
        from stripe_subscriptions s join stripe_customers c using (customer_id)),
    accounts as (
        select account_id,
               bool_and(ended_at is not null) as churned,
               if(bool_and(ended_at is not null), max(ended_at), timestamp '{END}' + interval 1 day) as until,
               min(created_at) as since
        from subs group by account_id)
    select * from accounts where since <= until - interval 90 day"""


def _mean_per_account_day(db: duckdb.DuckDBPyConnection, table: str, time_column: str) -> dict[bool, float]:
    rows = db.sql(
        f"""with a as ({_LAST_90_DAYS})
        select a.churned, count(x.{time_column}) / (90.0 * count(distinct a.account_id))
        from a left join {table} x
          on x.account_id = a.account_id
         and x.{time_column} >= a.until - interval 90 day and x.{time_column} < a.until
        group by 1"""
    ).fetchall()
    return dict(rows)


def test_churners_look_worse_in_their_last_90_days(db: duckdb.DuckDBPyConnection) -> None:
    events_per_day = _mean_per_account_day(db, "intercom_events", "occurred_at")
    assert events_per_day[True] < 0.75 * events_per_day[False]
    tickets_per_day = _mean_per_account_day(db, "intercom_tickets", "created_at")
    assert tickets_per_day[True] > tickets_per_day[False]


def test_unmatched_and_fallback_accounts_exist(db: duckdb.DuckDBPyConnection) -> None:
    unmatched = {
        name: _one(
            db,
            f"select count(*) from {name} where account_id not in (select account_id from stripe_customers)",
        )
        for name in ("intercom_companies", "intercom_contacts", "intercom_events")
    }
    assert all(count > 0 for count in unmatched.values()), unmatched
    assert unmatched["intercom_companies"] <= 0.03 * _one(db, "select count(*) from intercom_companies")
    # Customers without metadata.account_id fall back to their id, and Intercom uses that id too.
    fallback = _one(
        db,
        """select count(*) from stripe_customers c join intercom_companies i on i.company_id = c.customer_id
        where c.account_id = c.customer_id and json_extract_string(c.metadata, '$.account_id') is null""",
    )
    assert fallback > 0
    keyed = _one(
        db,
        """select count(*) from stripe_customers
        where account_id <> customer_id and json_extract_string(metadata, '$.account_id') <> account_id""",
    )
    assert keyed == 0
    owners = _one(db, "select count(distinct account_owner) from intercom_companies")
    assert 8 <= owners <= 12
