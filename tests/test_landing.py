"""Landing into schema raw: all-or-nothing swaps, quarantine, upserts, cursors, unmatched accounts."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pyarrow as pa
import pytest

from dagster_project.defs.ingestion.landing import (
    RecordsLostError,
    ensure_raw_schema,
    land,
    reason_kind,
    stored_cursors,
)
from dagster_project.sources.extract import Batch, QuarantinedRecord, TableExtract
from dagster_project.warehouse.engines.duckdb_engine import DuckDBSession
from tests.dbt_scenarios import raw_rows as rows

LOADED_AT = datetime(2026, 1, 2, 3, 4, 5)


def customer(cid: str, account: str) -> dict:
    return {"customer_id": cid, "account_id": account, "created_at": datetime(2025, 1, 1)}


def extract(table: str, *batches: Batch, **kwargs) -> TableExtract:
    return TableExtract(table=table, batches=iter(batches), origin="test", **kwargs)


@pytest.fixture
def con(tmp_path):
    connection = duckdb.connect(str(tmp_path / "w.duckdb"))
    yield connection
    connection.close()


def count(con, sql: str) -> int:
    return con.execute(sql).fetchone()[0]


def test_replace_lands_rows_with_load_metadata_and_quarantine(con):
    bad = QuarantinedRecord("stripe_customers", '{"id": 1}', "customer_id: field required")
    reports = land(
        DuckDBSession(con),
        [extract("stripe_customers", Batch(rows("stripe_customers", [customer("c1", "a1")]), [bad]))],
        source="files",
        batch_id="b1",
        loaded_at=LOADED_AT,
    )
    report = reports["stripe_customers"]
    assert (report.read, report.landed, report.quarantined) == (2, 1, 1)
    assert con.execute(
        "select customer_id, _source, _batch_id, _loaded_at from raw.stripe_customers"
    ).fetchall() == [("c1", "files", "b1", LOADED_AT)]
    assert con.execute("select source_table, record, reason, _batch_id from raw.quarantine").fetchall() == [
        ("stripe_customers", '{"id": 1}', "customer_id: field required", "b1")
    ]
    assert report.reasons == {"customer_id": 1}


def test_second_replace_swaps_the_snapshot_and_its_quarantine(con):
    bad = QuarantinedRecord("stripe_customers", "x", "invalid JSON")
    first = [customer("c1", "a1"), customer("c2", "a2")]
    land(
        DuckDBSession(con),
        [extract("stripe_customers", Batch(rows("stripe_customers", first), [bad]))],
        "files",
        "b1",
        LOADED_AT,
    )
    land(
        DuckDBSession(con),
        [extract("stripe_customers", Batch(rows("stripe_customers", first[:1])))],
        "files",
        "b2",
        LOADED_AT,
    )
    assert count(con, "select count(*) from raw.stripe_customers") == 1
    assert count(con, "select count(*) from raw.quarantine") == 0
    assert count(con, "select count(*) from raw.stripe_customers where _batch_id = 'b2'") == 1


def test_a_source_failing_midway_leaves_the_last_good_tables(con):
    land(
        DuckDBSession(con),
        [extract("stripe_customers", Batch(rows("stripe_customers", [customer("c1", "a1")])))],
        "api",
        "good",
        LOADED_AT,
    )

    def failing_batches():
        yield Batch(rows("stripe_customers", [customer("c9", "a9")]))
        raise ConnectionError("GET /v1/customers failed after 5 attempts")

    def extracts():
        yield TableExtract("stripe_customers", failing_batches(), origin="api")

    with pytest.raises(ConnectionError, match="/v1/customers"):
        land(DuckDBSession(con), extracts(), "api", "bad", LOADED_AT)
    assert con.execute("select customer_id, _batch_id from raw.stripe_customers").fetchall() == [
        ("c1", "good")
    ]
    leftovers = count(
        con, "select count(*) from duckdb_tables() where table_name like '\\_landing%' escape '\\'"
    )
    assert leftovers == 0


def test_a_later_table_failing_leaves_every_earlier_table_too(con):
    land(
        DuckDBSession(con),
        [extract("stripe_customers", Batch(rows("stripe_customers", [customer("c1", "a1")])))],
        "demo",
        "good",
        LOADED_AT,
    )

    def extracts():
        yield extract("stripe_customers", Batch(rows("stripe_customers", [customer("c2", "a2")])))
        raise OSError("stripe/subscriptions.jsonl: cannot be read")

    with pytest.raises(OSError):
        land(DuckDBSession(con), extracts(), "demo", "bad", LOADED_AT)
    assert con.execute("select customer_id from raw.stripe_customers").fetchall() == [("c1",)]


def test_upsert_merges_by_key_and_stores_the_cursor(con):
    first = [customer("c1", "a1"), customer("c2", "a2")]
    land(
        DuckDBSession(con),
        [extract("stripe_customers", Batch(rows("stripe_customers", first)), cursor="100")],
        "api",
        "b1",
        LOADED_AT,
    )
    assert stored_cursors(DuckDBSession(con)) == {"stripe_customers": "100"}
    changed = [customer("c2", "a2-renamed"), customer("c3", "a3"), customer("c3", "a3")]
    land(
        DuckDBSession(con),
        [extract("stripe_customers", Batch(rows("stripe_customers", changed)), mode="upsert", cursor="200")],
        "api",
        "b2",
        LOADED_AT,
    )
    assert con.execute("select customer_id, account_id from raw.stripe_customers order by 1").fetchall() == [
        ("c1", "a1"),
        ("c2", "a2-renamed"),
        ("c3", "a3"),
    ]
    assert stored_cursors(DuckDBSession(con)) == {"stripe_customers": "200"}


def test_a_load_without_a_cursor_is_recorded_as_the_last_load_and_keeps_the_cursor(con):
    land(
        DuckDBSession(con),
        [extract("stripe_customers", Batch(rows("stripe_customers", [customer("c1", "a1")])), cursor="100")],
        "api",
        "b1",
        LOADED_AT,
    )
    # A full pull that gives no cursor (the api source's companies and contacts): its batch is the last
    # load the daily checks read, and the cursor stays what it was
    land(
        DuckDBSession(con),
        [extract("stripe_customers", Batch(rows("stripe_customers", [customer("c2", "a2")])), mode="upsert")],
        "api",
        "b2",
        LOADED_AT,
    )
    assert con.execute("select table_name, cursor, batch_id from raw._sync_cursors").fetchall() == [
        ("stripe_customers", "100", "b2")
    ]
    land(
        DuckDBSession(con),
        [extract("intercom_companies", Batch(rows("intercom_companies", [])))],
        "api",
        "b3",
        LOADED_AT,
    )
    assert stored_cursors(DuckDBSession(con)) == {"stripe_customers": "100", "intercom_companies": None}


def test_upsert_by_parent_key_drops_children_removed_at_the_source(con):
    def item(item_id: str, sub: str) -> dict:
        return {
            "subscription_item_id": item_id,
            "subscription_id": sub,
            "price_id": "p",
            "unit_amount": 100,
            "currency": "usd",
            "interval": "month",
            "interval_count": 1,
            "quantity": 1,
        }

    table = "stripe_subscription_items"
    land(
        DuckDBSession(con),
        [extract(table, Batch(rows(table, [item("si1", "s1"), item("si2", "s1"), item("si3", "s2")])))],
        "api",
        "b1",
        LOADED_AT,
    )
    land(
        DuckDBSession(con),
        [extract(table, Batch(rows(table, [item("si4", "s1")])), mode="upsert")],
        "api",
        "b2",
        LOADED_AT,
    )
    assert con.execute(f"select subscription_item_id from raw.{table} order by 1").fetchall() == [
        ("si3",),
        ("si4",),
    ]


def test_unmatched_account_records_are_counted(con):
    def company(cid: str) -> dict:
        return {"company_id": cid, "account_id": cid, "created_at": datetime(2025, 1, 1)}

    reports = land(
        DuckDBSession(con),
        [
            extract("stripe_customers", Batch(rows("stripe_customers", [customer("c1", "a1")]))),
            extract(
                "intercom_companies", Batch(rows("intercom_companies", [company("a1"), company("trial-9")]))
            ),
            extract(
                "stripe_subscriptions",
                Batch(
                    rows(
                        "stripe_subscriptions",
                        [
                            {
                                "subscription_id": "s1",
                                "customer_id": "c1",
                                "status": "active",
                                "created_at": LOADED_AT,
                            },
                            {
                                "subscription_id": "s2",
                                "customer_id": "c404",
                                "status": "active",
                                "created_at": LOADED_AT,
                            },
                        ],
                    )
                ),
            ),
        ],
        "demo",
        "b1",
        LOADED_AT,
    )
    assert reports["intercom_companies"].unmatched_account_records == 1
    assert reports["stripe_subscriptions"].unmatched_account_records == 1
    assert reports["stripe_customers"].unmatched_account_records == 0


def test_a_connector_losing_records_lands_nothing(con):
    lossy = Batch(rows("stripe_customers", [customer("c1", "a1")]), records_read=3)
    with pytest.raises(RecordsLostError, match="3 records read but 1 landed, 0 unchanged, 0 superseded"):
        land(DuckDBSession(con), [extract("stripe_customers", lossy)], "files", "b1", LOADED_AT)
    assert count(con, "select count(*) from raw.stripe_customers") == 0


def test_columns_off_the_contract_are_refused(con):
    wrong = pa.table({"id": ["c1"]})
    with pytest.raises(ValueError, match="the contract"):
        land(DuckDBSession(con), [extract("stripe_customers", Batch(wrong))], "files", "b1", LOADED_AT)


def test_the_same_id_twice_in_one_pull_keeps_the_one_read_last_and_counts_the_other(con):
    versions = [customer("c1", "old"), customer("c2", "a2"), customer("c1", "new")]
    reports = land(
        DuckDBSession(con),
        [extract("stripe_customers", Batch(rows("stripe_customers", versions)))],
        "files",
        "b1",
        LOADED_AT,
    )
    assert con.execute("select customer_id, account_id from raw.stripe_customers order by 1").fetchall() == [
        ("c1", "new"),
        ("c2", "a2"),
    ]
    report = reports["stripe_customers"]
    assert (report.read, report.landed, report.superseded, report.reconciles) == (3, 2, 1, True)


def ticket(tid: str, state: str, updated: datetime | None) -> dict:
    return {
        "ticket_id": tid,
        "priority": "normal",
        "state": state,
        "created_at": datetime(2026, 1, 1),
        "updated_at": updated,
    }


def test_of_two_copies_the_later_updated_at_wins_whatever_the_read_order(con):
    # A ticket changed while a search was paging: its newer state came on the first page, its older one
    # on a later page. Read order alone would land the older state.
    copies = [
        ticket("t1", "resolved", datetime(2026, 1, 3)),
        ticket("t2", "submitted", None),
        ticket("t1", "in_progress", datetime(2026, 1, 2)),
    ]
    reports = land(
        DuckDBSession(con),
        [extract("intercom_tickets", Batch(rows("intercom_tickets", copies)), mode="upsert")],
        "api",
        "b1",
        LOADED_AT,
    )
    assert con.execute("select ticket_id, state from raw.intercom_tickets order by 1").fetchall() == [
        ("t1", "resolved"),
        ("t2", "submitted"),
    ]
    assert (reports["intercom_tickets"].landed, reports["intercom_tickets"].superseded) == (2, 1)


def test_an_upsert_writes_only_what_changed_and_counts_the_rest_unchanged(con):
    first = [ticket("t1", "submitted", datetime(2026, 1, 1)), ticket("t2", "submitted", datetime(2026, 1, 1))]
    land(
        DuckDBSession(con),
        [extract("intercom_tickets", Batch(rows("intercom_tickets", first)))],
        "api",
        "b1",
        LOADED_AT,
    )
    # A look-back re-reads t1 and t2 as they were; t2 then changed, t3 is new.
    again = [first[0], ticket("t2", "resolved", datetime(2026, 1, 2)), ticket("t3", "submitted", None)]
    reports = land(
        DuckDBSession(con),
        [extract("intercom_tickets", Batch(rows("intercom_tickets", again)), mode="upsert")],
        "api",
        "b2",
        LOADED_AT,
    )
    report = reports["intercom_tickets"]
    assert (report.read, report.landed, report.unchanged, report.reconciles) == (3, 2, 1, True)
    assert con.execute(
        "select ticket_id, state, _batch_id from raw.intercom_tickets order by 1"
    ).fetchall() == [
        ("t1", "submitted", "b1"),  # untouched: still the first load's row
        ("t2", "resolved", "b2"),
        ("t3", "submitted", "b2"),
    ]


def test_a_parent_read_twice_keeps_only_the_parts_of_its_newer_copy(con):
    table = "stripe_subscription_items"

    def item(item_id: str, sub: str) -> dict:
        return {
            "subscription_item_id": item_id,
            "subscription_id": sub,
            "price_id": "p",
            "currency": "usd",
            "interval": "month",
            "interval_count": 1,
            "quantity": 1,
        }

    # Sighting 1 of s1 had si1 and si2; sighting 2 (newer) has si2 and si3; s2 was read once.
    parts = rows(
        table, [item("si1", "s1"), item("si2", "s1"), item("si9", "s2"), item("si2", "s1"), item("si3", "s1")]
    )
    batch = Batch(parts, read_order=pa.array([1, 1, 2, 3, 3], pa.int64()), records_read=5)
    reports = land(DuckDBSession(con), [extract(table, batch, mode="upsert")], "api", "b1", LOADED_AT)
    assert con.execute(f"select subscription_item_id from raw.{table} order by 1").fetchall() == [
        ("si2",),
        ("si3",),
        ("si9",),
    ]
    assert (reports[table].landed, reports[table].superseded) == (3, 2)


def test_skipped_records_are_counted_and_reconcile(con):
    batch = Batch(rows("stripe_customers", [customer("c1", "a1")]), skipped={"preview invoice": 2})
    report = land(DuckDBSession(con), [extract("stripe_customers", batch)], "api", "b1", LOADED_AT)[
        "stripe_customers"
    ]
    assert (report.read, report.landed, report.skipped, report.reconciles) == (
        3,
        1,
        {"preview invoice": 2},
        True,
    )


def test_a_source_vouching_for_unique_ids_is_moved_into_place(con):
    many = [customer(f"c{i}", f"a{i}") for i in range(5)]
    land(
        DuckDBSession(con),
        [extract("stripe_customers", Batch(rows("stripe_customers", many)), ids_unique=True)],
        "demo",
        "b1",
        LOADED_AT,
    )
    land(
        DuckDBSession(con),
        [extract("stripe_customers", Batch(rows("stripe_customers", many[:2])), ids_unique=True)],
        "demo",
        "b2",
        LOADED_AT,
    )
    assert con.execute("select customer_id, _batch_id from raw.stripe_customers order by 1").fetchall() == [
        ("c0", "b2"),
        ("c1", "b2"),
    ]


@pytest.mark.parametrize(
    ("reason", "kind"),
    [
        ("line 5: created: not a unix timestamp (got 'yesterday')", "created"),
        ("line 6: invalid JSON: Expecting property name", "invalid JSON"),
        ("intercom/events.csv: field 'event_name' is required", "field 'event_name' is required"),
        ("intercom/events.csv line 9: Expected Number of Columns: 6 Found: 7", "Expected Number of Columns"),
        ("priority: unknown value 'critical'", "priority"),
    ],
)
def test_quarantine_reasons_are_grouped_by_what_went_wrong_not_where(reason, kind):
    assert reason_kind(reason) == kind


def test_events_landed_before_the_day_column_get_it_filled_in(con):
    # raw.intercom_events as 0.3 landed it: no occurred_on.
    con.execute("create schema raw")
    con.execute(
        """create table raw.intercom_events (event_id varchar, event_name varchar, occurred_at timestamp,
           contact_id varchar, account_id varchar, metadata varchar, _source varchar, _loaded_at timestamp,
           _batch_id varchar)"""
    )
    con.execute(
        "insert into raw.intercom_events (event_id, occurred_at) values ('e0', '2025-12-31 23:59:59')"
    )
    new = {"event_id": "e1", "event_name": "x", "occurred_at": datetime(2026, 1, 1, 0, 0, 1)}
    land(
        DuckDBSession(con),
        [extract("intercom_events", Batch(rows("intercom_events", [new])), mode="upsert")],
        "api",
        "b1",
        LOADED_AT,
    )
    assert con.execute("select event_id, occurred_on from raw.intercom_events order by 1").fetchall() == [
        ("e0", datetime(2025, 12, 31).date()),
        ("e1", datetime(2026, 1, 1).date()),
    ]


def test_tables_landed_by_an_older_version_get_the_newer_columns(con):
    # raw.stripe_invoice_line_items before 0.4: no discounts or inclusive taxes.
    con.execute("create schema raw")
    con.execute(
        """create table raw.stripe_invoice_line_items (line_item_id varchar, invoice_id varchar,
           subscription_id varchar, subscription_item_id varchar, price_id varchar, plan_name varchar,
           unit_amount bigint, "interval" varchar, interval_count bigint, quantity bigint, amount bigint,
           currency varchar, period_start timestamp, period_end timestamp, proration boolean,
           description varchar, _source varchar, _loaded_at timestamp, _batch_id varchar)"""
    )
    con.execute("insert into raw.stripe_invoice_line_items (line_item_id, amount) values ('il_old', 100)")
    ensure_raw_schema(DuckDBSession(con))
    columns = "line_item_id, amount, discount_amount, inclusive_tax_amount"
    assert con.execute(f"select {columns} from raw.stripe_invoice_line_items").fetchall() == [
        ("il_old", 100, None, None)
    ]


def test_parts_from_a_batch_that_does_not_say_its_read_order_all_land(con):
    # A files drop or a test scenario lists an invoice's lines without sighting numbers: the batch is one
    # sighting of each invoice in it, so none of its lines is taken for an older copy's.
    table = "stripe_invoice_line_items"
    lines = [
        {
            "line_item_id": f"il_{k}",
            "invoice_id": "in_1",
            "amount": 100,
            "currency": "usd",
            "period_start": LOADED_AT,
            "period_end": LOADED_AT,
            "proration": False,
        }
        for k in range(3)
    ]
    report = land(DuckDBSession(con), [extract(table, Batch(rows(table, lines)))], "files", "b1", LOADED_AT)[
        table
    ]
    assert (report.landed, report.superseded) == (3, 0)
