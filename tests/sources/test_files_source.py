"""The files source against tests/fixtures/files_drop and variations of it built in tmp_path."""

from __future__ import annotations

import json
import os
import shutil
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from files_drop_expected import DROP, EXPECTED_QUARANTINE, EXPECTED_ROWS

from dagster_project.sources.extract import SourceError
from dagster_project.sources.files import FilesSource
from dagster_project.sources.files.layout import LAYOUT
from dagster_project.sources.raw_tables import RAW_TABLES
from dagster_project.sources.records.events import stable_event_id


def load(directory: Path, tables: list[str] | None = None, **options):
    """{table: (rows, quarantined records, records read, extract)} after consuming every batch."""
    result = {}
    for extract in FilesSource(directory, **options).extract(tables or list(RAW_TABLES), {}):
        batches = list(extract.batches)
        rows = pa.concat_tables([b.rows for b in batches])
        quarantined = [q for b in batches for q in b.quarantined]
        result[extract.table] = (rows, quarantined, sum(b.read for b in batches), extract)
    return result


def by_key(rows: pa.Table, table: str) -> dict[str, dict]:
    return {r[RAW_TABLES[table].primary_key]: r for r in rows.to_pylist()}


@pytest.fixture(scope="module")
def loaded():
    return load(DROP)


def test_every_bad_record_is_quarantined_with_its_reason(loaded):
    found = sorted(
        (q.source_table, q.reason) for _, quarantined, _, _ in loaded.values() for q in quarantined
    )
    assert found == sorted(EXPECTED_QUARANTINE)


def test_read_equals_landed_plus_quarantined_per_table(loaded):
    for table, (rows, quarantined, read, _) in loaded.items():
        assert rows.num_rows == EXPECTED_ROWS[table], table
        assert read == rows.num_rows + len(quarantined), table
    assert loaded["stripe_customers"][2] == 7  # the blank line is not a record


def test_extracts_are_full_snapshots_in_the_contract_schema(loaded):
    assert list(loaded) == list(RAW_TABLES)
    for table, (rows, _, _, extract) in loaded.items():
        assert rows.schema == RAW_TABLES[table].arrow_schema
        # With no cursor the drop is a first load: replaced whole, the files remembered for the next.
        assert extract.mode == "replace"
        assert sorted(json.loads(extract.cursor)["files"]) == sorted(
            f"{entry.stem}.{fmt}"
            for entry in LAYOUT
            for fmt in entry.formats
            if (DROP / f"{entry.stem}.{fmt}").exists()
            if table in entry.kind.tables
        )
        for column in RAW_TABLES[table].required_columns:
            assert rows.column(column).null_count == 0, (table, column)
    assert loaded["intercom_events"][3].origin == "intercom/events.csv"


def test_quarantine_keeps_the_original_record(loaded):
    customers = {q.reason: q.record for q in loaded["stripe_customers"][1]}
    line6 = (DROP / "stripe/customers.jsonl").read_text().splitlines()[5]
    assert customers[EXPECTED_QUARANTINE[1][1]] == line6
    events = {q.reason.split(": ", 1)[1]: q.record for q in loaded["intercom_events"][1]}
    assert (
        '"occurred_at":"yesterday"'
        in events["occurred_at: not an ISO-8601 timestamp or unix seconds (got 'yesterday')"]
    )
    assert (
        events["Expected Number of Columns: 6 Found: 7"]
        == "e8,logged-in,2024-03-03T09:00:00Z,ct_3,cus_C3,{},extra"
    )


def test_billing_rows(loaded):
    customers = by_key(loaded["stripe_customers"][0], "stripe_customers")
    assert customers["cus_C3"]["account_id"] == "cus_C3"  # no metadata.account_id
    assert (customers["cus_D4"]["currency"], customers["cus_D4"]["delinquent"]) == ("usd", True)
    subs = by_key(loaded["stripe_subscriptions"][0], "stripe_subscriptions")
    assert {k: s["account_id"] for k, s in subs.items()} == {
        "sub_acme": "acct_acme",
        "sub_globex": "acct_globex",
        "sub_initech": "cus_C3",
        "sub_umbrella": "acct_umbrella",
        "sub_hooli": "acct_hooli",
    }
    assert subs["sub_hooli"]["current_period_end"] == datetime(2024, 1, 25)
    assert subs["sub_initech"]["ended_at"] == datetime(2024, 2, 10)
    items = by_key(loaded["stripe_subscription_items"][0], "stripe_subscription_items")
    assert items["si_acme"]["plan_name"] == "scale"  # the upgrade
    assert items["si_initech_addon"]["plan_name"] == "SSO add-on"
    invoices = by_key(loaded["stripe_invoices"][0], "stripe_invoices")
    failed = invoices["in_umbrella_feb"]
    assert (failed["status"], failed["attempt_count"], failed["amount_remaining"], failed["paid_at"]) == (
        "open",
        3,
        20000,
        None,
    )
    lines = loaded["stripe_invoice_line_items"][0].to_pylist()
    prorations = [line for line in lines if line["proration"]]
    assert sorted(line["amount"] for line in prorations) == [-25000, 50000]
    assert {line["invoice_id"] for line in prorations} == {"in_acme_mar"}


def test_support_rows(loaded):
    companies = by_key(loaded["intercom_companies"][0], "intercom_companies")
    assert companies["acct_acme"]["account_owner"] == "dana@ourco.test"
    assert companies["acct_globex"]["account_owner"] == "7001"
    assert (companies["acct_globex"]["plan_name"], companies["acct_acme"]["employee_count"]) == (
        "growth",
        120,
    )
    contacts = by_key(loaded["intercom_contacts"][0], "intercom_contacts")
    assert {k: c["account_id"] for k, c in contacts.items()} == {
        "ct_1": "acct_acme",  # companies.data names Intercom's id only
        "ct_2": "acct_globex",
        "ct_3": "cus_C3",
        "ct_4": "acct_umbrella",
        "ct_5": None,
    }
    conversations = by_key(loaded["intercom_conversations"][0], "intercom_conversations")
    assert [(c["initiated_by"], c["answered_by"], c["account_id"]) for c in conversations.values()] == [
        ("customer", "team", "acct_acme"),
        ("team", "customer", "acct_globex"),
        ("customer", None, None),
    ]
    assert conversations["conv_1"]["first_response_at"] == datetime(2024, 1, 21, 0, 30)
    tickets = by_key(loaded["intercom_tickets"][0], "intercom_tickets")
    assert {k: (t["priority"], t["state"], t["closed_at"]) for k, t in tickets.items()} == {
        "tk_1": ("urgent", "in_progress", None),
        "tk_2": ("low", "resolved", datetime(2024, 2, 6)),
        "tk_3": ("normal", "resolved", datetime(2024, 1, 23)),  # no statistics: updated_at
        "tk_4": ("high", "waiting_on_customer", None),
    }
    surveys = by_key(loaded["intercom_survey_responses"][0], "intercom_survey_responses")
    assert surveys["resp_3"]["account_id"] == "acct_globex"  # from its contact


def test_csv_events(loaded):
    events = by_key(loaded["intercom_events"][0], "intercom_events")
    hashed = stable_event_id("exported-data", datetime(2024, 3, 1, 10), "ct_2", None)
    assert set(events) == {"e1", hashed, "e3", "e4"}
    assert events[hashed]["account_id"] == "acct_globex"  # looked up from contact ct_2
    assert events["e3"]["account_id"] == "acct_acme"
    assert events["e4"]["occurred_at"] == datetime(2024, 3, 2, 10)  # +02:00 in the file
    assert events["e1"]["metadata"] == '{"report": "mrr"}'


def test_loading_the_same_folder_twice_gives_the_same_rows(loaded):
    again = load(DROP)
    for table, (rows, quarantined, read, _) in loaded.items():
        key = RAW_TABLES[table].primary_key
        assert again[table][0].sort_by(key).equals(rows.sort_by(key)), table
        assert again[table][1] == quarantined and again[table][2] == read


def test_tables_of_one_file_can_be_consumed_in_any_order():
    extracts = {
        e.table: e
        for e in FilesSource(DROP).extract(["stripe_subscriptions", "stripe_subscription_items"], {})
    }
    items = list(extracts["stripe_subscription_items"].batches)
    subs = list(extracts["stripe_subscriptions"].batches)
    assert sum(b.rows.num_rows for b in items) == 6 and sum(b.rows.num_rows for b in subs) == 5


# Drops built in tmp_path


@pytest.fixture
def drop(tmp_path: Path) -> Path:
    shutil.copytree(DROP, tmp_path / "drop")
    return tmp_path / "drop"


def test_missing_required_file_fails_before_anything_is_yielded(drop: Path):
    (drop / "stripe/subscriptions.jsonl").unlink()
    extracts = FilesSource(drop).extract(["stripe_customers", "stripe_subscription_items"], {})
    with pytest.raises(SourceError, match=r"required file stripe/subscriptions\.jsonl is missing.*export"):
        next(extracts)


def test_missing_folder_fails(tmp_path: Path):
    with pytest.raises(SourceError, match="does not exist"):
        next(FilesSource(tmp_path / "nowhere").extract(["stripe_customers"], {}))


def test_absent_optional_files_give_empty_tables(tmp_path: Path):
    (tmp_path / "stripe").mkdir()
    for name in ("customers", "subscriptions"):
        shutil.copy(DROP / f"stripe/{name}.jsonl", tmp_path / f"stripe/{name}.jsonl")
    result = load(tmp_path)
    for table in RAW_TABLES:
        rows, quarantined, read, _ = result[table]
        if table.startswith("intercom") or table.startswith("stripe_invoice"):
            assert (rows.num_rows, quarantined, read) == (0, [], 0), table
            assert rows.schema == RAW_TABLES[table].arrow_schema
    assert result["stripe_customers"][0].num_rows == 5


def test_a_file_that_is_not_utf8_fails_naming_it(drop: Path):
    (drop / "intercom/companies.jsonl").write_bytes(
        b'{"company_id": "acme", "name": "Caf\xe9", "created_at": 1}\n'
    )
    with pytest.raises(SourceError, match=r"intercom/companies\.jsonl is not valid UTF-8 text \(line 1"):
        load(drop, ["intercom_companies"])
    shutil.copy(DROP / "intercom/companies.jsonl", drop / "intercom/companies.jsonl")
    (drop / "intercom/events.csv").write_bytes(
        "event_name,occurred_at\ncaf\xe9,2024-01-01\n".encode("latin-1")
    )
    with pytest.raises(SourceError, match=r"intercom/events\.csv is not valid UTF-8"):
        load(drop, ["intercom_events"])


def test_a_file_that_is_not_parquet_fails_naming_it(drop: Path):
    (drop / "intercom/events.parquet").write_text("event_name,occurred_at\n")
    with pytest.raises(SourceError, match=r"intercom/events\.parquet is not a readable Parquet file"):
        load(drop, ["intercom_events"])


def test_an_events_file_without_a_required_column_fails(drop: Path):
    (drop / "intercom/events.csv").write_text("event_name,when\nlogged-in,2024-01-01\n")
    with pytest.raises(SourceError, match="has no column occurred_at"):
        load(drop, ["intercom_events"])


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_an_unreadable_file_fails_before_anything_is_yielded(drop: Path):
    (drop / "intercom/tickets.jsonl").chmod(0)
    with pytest.raises(SourceError, match=r"cannot read intercom/tickets\.jsonl"):
        next(FilesSource(drop).extract(["intercom_tickets"], {}))


def test_events_from_a_folder_of_jsonl_csv_and_parquet_parts(drop: Path):
    (drop / "intercom/events.csv").unlink()
    parts = drop / "intercom/events"
    parts.mkdir()
    (parts / "a.jsonl").write_text(
        '{"type": "event", "event_name": "logged-in", "created_at": 1709287200, "user_id": "u_4"}\n'
        '{"type": "event", "event_name": "logged-in", "created_at": "soon", "user_id": "u_4"}\n'
    )
    (parts / "b.csv").write_text("EVENT_NAME,Occurred_At,company_id\nexported-data,1709287200,acct_x\n")
    pq.write_table(
        pa.table(
            {
                "event_id": ["p1", "p2", "p3"],
                "event_name": ["created-report", "created-report", None],
                "occurred_at": pa.array([datetime(2024, 3, 1), datetime(2024, 3, 2), datetime(2024, 3, 3)]),
                "contact_id": ["ct_1", "ct_9", "ct_1"],
                "metadata": ['{"a": 1}', "[1]", None],
            }
        ),
        parts / "c.parquet",
    )
    rows, quarantined, read, extract = load(drop, ["intercom_events"])["intercom_events"]
    assert extract.origin == "intercom/events/a.jsonl, intercom/events/b.csv, intercom/events/c.parquet"
    events = rows.to_pylist()
    assert [(e["event_name"], e["contact_id"], e["account_id"]) for e in events] == [
        ("logged-in", "ct_4", "acct_umbrella"),  # user_id u_4 is ct_4's external_id
        ("exported-data", None, "acct_x"),  # company_id is an alias of account_id
        ("created-report", "ct_1", "acct_acme"),
    ]
    assert sorted(q.reason for q in quarantined) == [
        "intercom/events/a.jsonl line 2: created_at: not a unix timestamp (got 'soon')",
        "intercom/events/c.parquet: field 'event_name' is required",
        "intercom/events/c.parquet: metadata: expected a JSON object",
    ]
    assert read == 6


def test_unknown_tables_are_a_programming_error():
    with pytest.raises(ValueError, match="unknown raw tables"):
        next(FilesSource(DROP).extract(["stripe_charges"], {}))


def basil_drop(drop: Path, prices: list[str] | None) -> None:
    """Invoices as exported from API version 2025-03-31 on: lines name their price by id."""
    invoice = {
        "id": "in_basil",
        "object": "invoice",
        "customer": "cus_A1",
        "parent": {"type": "subscription_details", "subscription_details": {"subscription": "sub_acme"}},
        "status": "paid",
        "currency": "usd",
        "amount_due": 60000,
        "amount_paid": 60000,
        "created": 1711929600,
        "lines": {
            "data": [
                {
                    "id": "il_basil",
                    "amount": 100000,
                    "currency": "usd",
                    "period": {"start": 1711929600, "end": 1714521600},
                    "quantity": 10,
                    "parent": {
                        "type": "subscription_item_details",
                        "subscription_item_details": {
                            "subscription": "sub_acme",
                            "subscription_item": "si_acme",
                            "proration": False,
                        },
                    },
                    "pricing": {
                        "price_details": {"price": "price_scale_y", "product": "prod_app"},
                        "unit_amount_decimal": "10000",
                    },
                    "discount_amounts": [{"amount": 40000, "discount": "di_1"}],
                }
            ],
            "has_more": False,
        },
    }
    preview = {**invoice, "id": None, "lines": {"data": [], "has_more": False}}
    (drop / "stripe" / "invoices.jsonl").write_text(json.dumps(invoice) + "\n" + json.dumps(preview) + "\n")
    if prices is not None:
        (drop / "stripe" / "prices.jsonl").write_text("".join(line + "\n" for line in prices))


def test_a_basil_drop_prices_its_lines_from_the_catalogue_and_skips_previews(drop: Path):
    yearly = {
        "id": "price_scale_y",
        "currency": "usd",
        "nickname": "Scale",
        "recurring": {"interval": "year", "interval_count": 1},
    }
    basil_drop(drop, [json.dumps(yearly)])
    result = load(drop, ["stripe_invoices", "stripe_invoice_line_items"])
    rows, quarantined, read, _ = result["stripe_invoices"]
    assert (rows.num_rows, quarantined, read) == (1, [], 2)  # the preview was read, and skipped
    (line,) = result["stripe_invoice_line_items"][0].to_pylist()
    assert {k: line[k] for k in ("subscription_id", "subscription_item_id", "price_id", "plan_name")} == {
        "subscription_id": "sub_acme",
        "subscription_item_id": "si_acme",
        "price_id": "price_scale_y",
        "plan_name": "Scale",
    }
    assert (line["interval"], line["unit_amount"], line["discount_amount"]) == ("year", 10000, 40000)


def test_a_bad_price_catalogue_line_fails_naming_it(drop: Path):
    basil_drop(drop, ['{"id": "price_ok", "currency": "usd"}', "not json"])
    with pytest.raises(SourceError, match=r"stripe/prices.jsonl line 2 is not a Stripe price object"):
        load(drop, ["stripe_invoices"])
