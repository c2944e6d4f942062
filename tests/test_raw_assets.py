"""The raw assets materialised by Dagster from the files and api sources into a real DuckDB file."""

from __future__ import annotations

import shutil
import time
from collections import Counter

import dagster as dg
import duckdb
from sources.fake_apis import FakeApis
from sources.files_drop_expected import DROP, EXPECTED_QUARANTINE, EXPECTED_ROWS

from dagster_project.defs.ingestion.assets import raw_tables
from dagster_project.defs.ingestion.resources import RawSource
from dagster_project.progress import user_error
from dagster_project.sources.raw_tables import RAW_TABLES
from dagster_project.warehouse.resource import Warehouse


def materialise(warehouse_path, raise_on_error: bool = True, **source):
    return dg.materialize(
        [raw_tables],
        resources={"warehouse": Warehouse(path=str(warehouse_path)), "raw_source": RawSource(**source)},
        raise_on_error=raise_on_error,
    )


def table_counts(path) -> dict[str, int]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {t: con.execute(f"select count(*) from raw.{t}").fetchone()[0] for t in RAW_TABLES}


def metadata_of(result) -> dict[str, dict]:
    return {
        m.asset_key.path[-1]: {k: v.value for k, v in m.metadata.items()}
        for m in result.asset_materializations_for_node("land_raw_tables")
    }


def test_files_mode_lands_the_fixture_and_quarantines_every_bad_record(tmp_path):
    path = tmp_path / "w.duckdb"
    result = materialise(path, kind="files", files_dir=str(DROP))
    assert table_counts(path) == EXPECTED_ROWS
    with duckdb.connect(str(path), read_only=True) as con:
        quarantined = con.execute(
            "select source_table, reason, record, _batch_id from raw.quarantine"
        ).fetchall()
    assert Counter((t, r) for t, r, _, _ in quarantined) == Counter(EXPECTED_QUARANTINE)
    assert all(record and batch == result.run_id for _, _, record, batch in quarantined)
    metadata = metadata_of(result)
    for table, meta in metadata.items():
        accounted = meta["rows_landed"] + meta["records_superseded"] + meta["records_quarantined"]
        assert meta["records_read"] == accounted + sum(meta["records_skipped"].values()), table
        assert meta["rows_landed"] == EXPECTED_ROWS[table]
    assert metadata["stripe_customers"]["records_quarantined"] == 2


def test_files_mode_twice_gives_the_same_row_counts(tmp_path):
    path = tmp_path / "w.duckdb"
    materialise(path, kind="files", files_dir=str(DROP))
    first = table_counts(path)
    materialise(path, kind="files", files_dir=str(DROP))
    assert table_counts(path) == first
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute("select count(*) from raw.quarantine").fetchone()[0] == len(EXPECTED_QUARANTINE)


def test_a_file_that_vanished_fails_the_run_naming_it_and_keeps_the_last_good_tables(tmp_path):
    drop = tmp_path / "drop"
    shutil.copytree(DROP, drop)
    path = tmp_path / "w.duckdb"
    materialise(path, kind="files", files_dir=str(drop))
    good = table_counts(path)
    (drop / "stripe" / "subscriptions.jsonl").unlink()
    result = materialise(path, raise_on_error=False, kind="files", files_dir=str(drop))
    assert not result.success
    message = str(result.get_step_failure_events()[0].event_specific_data.error)
    assert "subscriptions.jsonl" in message
    assert table_counts(path) == good


# Recent: a cursor older than Stripe's 30 days of events means a whole pull again.
BASE = int(time.time()) - 2 * 86_400


def load_world(apis: FakeApis, customers: range) -> None:
    """Per account: a Stripe customer with a subscription and a paid invoice, and an Intercom company."""
    price = {
        "id": "price_growth",
        "product": "prod_app",
        "unit_amount": 5000,
        "currency": "usd",
        "recurring": {"interval": "month", "interval_count": 1},
    }
    for i in customers:
        created = BASE + i
        apis.stripe["customers"].append(
            {
                "id": f"cus_{i}",
                "object": "customer",
                "created": created,
                "metadata": {"account_id": f"acct_{i}"},
            }
        )
        apis.stripe["subscriptions"].append(
            {
                "id": f"sub_{i}",
                "customer": f"cus_{i}",
                "status": "active",
                "created": created,
                "items": {"data": [{"id": f"si_{i}", "quantity": 3, "price": price}], "has_more": False},
            }
        )
        line = {
            "id": f"il_{i}",
            "amount": 15000,
            "currency": "usd",
            "period": {"start": created, "end": created + 30 * 86_400},
            "proration": False,
            "price": price,
            "quantity": 3,
            "subscription": f"sub_{i}",
        }
        apis.stripe["invoices"].append(
            {
                "id": f"in_{i}",
                "customer": f"cus_{i}",
                "subscription": f"sub_{i}",
                "status": "paid",
                "currency": "usd",
                "amount_due": 15000,
                "amount_paid": 15000,
                "created": created,
                "lines": {"data": [line], "has_more": False},
            }
        )
        apis.intercom["companies"].append(
            {
                "type": "company",
                "id": f"ic_{i}",
                "company_id": f"acct_{i}",
                "name": f"Co {i}",
                "created_at": BASE,
            }
        )


def test_api_mode_second_run_pulls_only_new_records_and_never_duplicates(tmp_path):
    path = tmp_path / "w.duckdb"
    with FakeApis("sk_test", "tok_test") as apis:
        load_world(apis, range(1, 251))  # three pages of 100
        settings = {
            "kind": "api",
            "stripe_api_base": apis.stripe_base,
            "stripe_api_key": "sk_test",
            "intercom_api_base": apis.intercom_base,
            "intercom_api_token": "tok_test",
        }
        materialise(path, **settings)
        assert table_counts(path)["stripe_customers"] == 250
        customer_pages = [r for r in apis.logged("/v1/customers") if r.path == "/v1/customers"]
        assert len(customer_pages) == 3 and "created[gte]" not in customer_pages[0].query

        with duckdb.connect(str(path), read_only=True) as con:
            cursor = con.execute(
                "select cursor from raw._sync_cursors where table_name = 'stripe_customers'"
            ).fetchone()[0]
        assert cursor == str(BASE + 250)

        apis.clear_log()
        load_world(apis, range(251, 256))
        result = materialise(path, **settings)
        # From the look-back (3 days by default) before the cursor: every object here is that recent.
        since = str(int(cursor) - 3 * 86_400)
        for listing in ("/v1/customers", "/v1/subscriptions", "/v1/invoices"):
            pages = [r for r in apis.logged(listing) if r.path == listing]
            assert [r.query.get("created[gte]") for r in pages] == [since] * 3, listing
        meta = metadata_of(result)["stripe_customers"]
        assert (meta["records_read"], meta["rows_landed"], meta["rows_unchanged"]) == (255, 5, 250)
        with duckdb.connect(str(path), read_only=True) as con:
            landed_second = con.execute(
                "select count(*) from raw.stripe_customers where _batch_id = ("
                "select batch_id from raw._sync_cursors where table_name = 'stripe_customers')"
            ).fetchone()[0]
    # The five new customers only: what the look-back read again was unchanged and left as it was.
    assert landed_second == 5
    counts = table_counts(path)
    assert {t: counts[t] for t in RAW_TABLES if t.startswith("stripe")} == dict.fromkeys(
        [
            "stripe_customers",
            "stripe_subscriptions",
            "stripe_subscription_items",
            "stripe_invoices",
            "stripe_invoice_line_items",
        ],
        255,
    )
    with duckdb.connect(str(path), read_only=True) as con:
        assert (
            con.execute("select count(distinct customer_id) from raw.stripe_customers").fetchone()[0] == 255
        )


def test_a_subset_of_raw_tables_can_be_materialised_alone(tmp_path):
    path = tmp_path / "w.duckdb"
    result = dg.materialize(
        [raw_tables],
        selection=[dg.AssetKey(["raw", "stripe_customers"])],
        resources={
            "warehouse": Warehouse(path=str(path)),
            "raw_source": RawSource(kind="demo", demo_accounts=30, demo_days=60, demo_end_date="2026-06-30"),
        },
    )
    assert set(metadata_of(result)) == {"stripe_customers"}
    counts = table_counts(path)
    assert counts["stripe_customers"] > 0 and counts["intercom_events"] == 0


def test_an_endpoint_that_keeps_failing_is_named_in_one_line_on_the_terminal(tmp_path):
    path = tmp_path / "w.duckdb"
    with FakeApis("sk_test", "tok_test") as apis:
        load_world(apis, range(1, 4))
        # Asked to wait beyond the retry budget: the client gives up at once instead of sleeping.
        apis.fail("/v1/invoices", 503, {"Retry-After": "3600"}, times=10)
        result = materialise(
            path,
            raise_on_error=False,
            kind="api",
            stripe_api_base=apis.stripe_base,
            stripe_api_key="sk_test",
            intercom_api_base=apis.intercom_base,
            intercom_api_token="tok_test",
        )
    assert not result.success
    shown = user_error(result.get_step_failure_events()[0].event_specific_data.error)
    assert shown.startswith("SourceError: Stripe GET /stripe/v1/invoices kept failing after 1 attempts")
    assert "STRIPE_API_BASE" in shown and "run again later" in shown
    assert "\n" not in shown and "_Retryable" not in shown and "sk_test" not in shown
    assert table_counts(path) == dict.fromkeys(RAW_TABLES, 0)  # nothing landed, not even customers


def test_an_invoice_in_a_currency_with_no_rate_stops_the_run_before_dbt_naming_it(tmp_path):
    drop = tmp_path / "drop"
    shutil.copytree(DROP, drop)
    lines = (drop / "stripe" / "invoices.jsonl").read_text().splitlines()
    # The first invoice, billed in Zambian kwacha instead of dollars.
    lines[0] = lines[0].replace('"currency": "usd"', '"currency": "ZMW"', 1)
    (drop / "stripe" / "invoices.jsonl").write_text("\n".join(lines) + "\n")
    result = materialise(tmp_path / "w.duckdb", raise_on_error=False, kind="files", files_dir=str(drop))
    assert not result.success
    shown = user_error(result.get_step_failure_events()[0].event_specific_data.error)
    assert shown.startswith("UnknownCurrencyError: billing in 1 currency with no rate: ZMW (stripe_invoices ")
    assert "in_acme_jan" in shown and "seeds/currency_rates.csv" in shown and "\n" not in shown
