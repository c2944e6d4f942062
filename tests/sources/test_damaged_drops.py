"""A matrix of damaged files drops, each landed over a warehouse that holds the good drop.

Every case either lands, with read = landed + unchanged + superseded + quarantined + skipped for every
table and the damage named where it went, or fails with a clear message naming the file and leaves
every raw table exactly as it was. None crashes. The expectations are worked out from the edit each
case makes to tests/fixtures/files_drop.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from files_drop_expected import DROP, EXPECTED_ROWS

from dagster_project.defs.ingestion.landing import DEFAULT_MAX_SHRINK, SnapshotShrinkError, land
from dagster_project.sources.extract import SourceError
from dagster_project.sources.files import FilesSource
from dagster_project.sources.raw_tables import QUARANTINE_TABLE, RAW_TABLES, SUPERSEDED_TABLE
from dagster_project.warehouse.engines.duckdb_engine import DuckDBSession

LOADED_AT = datetime(2026, 1, 1)
CUSTOMER = {"id": "cus_X9", "object": "customer", "created": 1704067200, "metadata": {"account_id": "acct_x"}}


def append(path: str, *lines: str) -> Callable[[Path], None]:
    def edit(drop: Path) -> None:
        with (drop / path).open("a", encoding="utf-8", newline="") as handle:
            for line in lines:
                handle.write(line + "\n")

    return edit


def append_bytes(path: str, data: bytes) -> Callable[[Path], None]:
    def edit(drop: Path) -> None:
        with (drop / path).open("ab") as handle:
            handle.write(data)

    return edit


def customer(**fields) -> str:
    return json.dumps({**CUSTOMER, **fields})


def replace_file(path: str, text: str) -> Callable[[Path], None]:
    def edit(drop: Path) -> None:
        (drop / path).write_text(text, encoding="utf-8")

    return edit


def remove(path: str) -> Callable[[Path], None]:
    def edit(drop: Path) -> None:
        target = drop / path
        shutil.rmtree(target) if target.is_dir() else target.unlink()

    return edit


def into_folder(path: str) -> Callable[[Path], None]:
    """The file becomes a folder of the same name (an unzip gone wrong)."""

    def edit(drop: Path) -> None:
        target = drop / path
        text = target.read_text()
        target.unlink()
        target.mkdir()
        (target / "part-0.jsonl").write_text(text)

    return edit


def as_parts(stem: str) -> Callable[[Path], None]:
    """The file split into a folder of parts, with a stray README beside them (ignored)."""

    def edit(drop: Path) -> None:
        lines = (drop / f"{stem}.jsonl").read_text().splitlines(keepends=True)
        (drop / f"{stem}.jsonl").unlink()
        (drop / stem).mkdir()
        (drop / stem / "part-1.jsonl").write_text("".join(lines[: len(lines) // 2]))
        (drop / stem / "part-2.jsonl").write_text("".join(lines[len(lines) // 2 :]))
        (drop / stem / "README.txt").write_text("exported by hand")

    return edit


def crlf(path: str) -> Callable[[Path], None]:
    def edit(drop: Path) -> None:
        target = drop / path
        target.write_bytes(target.read_bytes().replace(b"\n", b"\r\n"))

    return edit


def bom(path: str) -> Callable[[Path], None]:
    def edit(drop: Path) -> None:
        target = drop / path
        target.write_bytes(b"\xef\xbb\xbf" + target.read_bytes())

    return edit


def broken_link(path: str) -> Callable[[Path], None]:
    def edit(drop: Path) -> None:
        (drop / path).unlink()
        os.symlink(drop / "nowhere.jsonl", drop / path)

    return edit


# (id, edit, outcome): outcome is ("lands", {table: reason fragment quarantined}, extra check) or
# ("fails", message fragment).
CASES = [
    (
        "invalid JSON line",
        append("stripe/customers.jsonl", '{"id": "cus_Z",'),
        "lands",
        {"stripe_customers": "stripe/customers.jsonl line 9: invalid JSON"},
    ),
    (
        "truncated last line, no newline",
        append_bytes("stripe/customers.jsonl", b'{"id": "cus_T", "crea'),
        "lands",
        {"stripe_customers": "stripe/customers.jsonl line 9: invalid JSON: Unterminated string"},
    ),
    (
        "integer beyond 64 bits",
        append("stripe/customers.jsonl", customer(id="cus_big", created=10**20)),
        "lands",
        {"stripe_customers": "created: unix timestamp"},
    ),
    (
        "amount beyond 64 bits",
        append(
            "stripe/invoices.jsonl",
            json.dumps(
                {
                    "id": "in_big",
                    "customer": "cus_A1",
                    "status": "paid",
                    "currency": "usd",
                    "amount_due": 10**20,
                    "amount_paid": 0,
                    "created": 1704067200,
                    "lines": {"data": [], "has_more": False},
                }
            ),
        ),
        "lands",
        {"stripe_invoices": "amount_due: 100000000000000000000 does not fit a 64-bit integer"},
    ),
    (
        "lone surrogate escape",
        append(
            "stripe/customers.jsonl",
            customer(id="cus_sur").replace('"cus_sur"', '"cus_sur", "name": "Caf\\ud83d"'),
        ),
        "lands",
        {"stripe_customers": "name: text with an unpaired surrogate"},
    ),
    (
        "NaN amount",
        append(
            "stripe/invoices.jsonl",
            '{"id": "in_nan", "customer": "cus_A1", "status": "paid", '
            '"currency": "usd", "amount_due": NaN, "amount_paid": 0, "created": 1704067200, '
            '"lines": {"data": [], "has_more": false}}',
        ),
        "lands",
        {"stripe_invoices": "amount_due: expected an integer"},
    ),
    (
        "Infinity in metadata",
        append(
            "stripe/customers.jsonl",
            customer(id="cus_inf").replace(
                '{"account_id": "acct_x"}', '{"account_id": "acct_x", "score": Infinity}'
            ),
        ),
        "lands",
        {"stripe_customers": "metadata: NaN or an infinite number"},
    ),
    (
        "a JSON array line",
        append("stripe/customers.jsonl", "[1, 2]"),
        "lands",
        {"stripe_customers": "expected a JSON object, got an array"},
    ),
    (
        "a JSON scalar line",
        append("intercom/companies.jsonl", '"acme"'),
        "lands",
        {"intercom_companies": "expected a JSON object, got a string"},
    ),
    (
        "milliseconds for seconds",
        append("stripe/customers.jsonl", customer(id="cus_ms", created=1704067200000)),
        "lands",
        {"stripe_customers": "out of range (seconds expected, not milliseconds)"},
    ),
    (
        "negative timestamp",
        append("stripe/customers.jsonl", customer(id="cus_neg", created=-5)),
        "lands",
        {"stripe_customers": "out of range"},
    ),
    (
        "text for a number",
        append(
            "stripe/invoices.jsonl",
            '{"id": "in_txt", "customer": "cus_A1", '
            '"status": "paid", "currency": "usd", "amount_due": "100", "amount_paid": 0, '
            '"created": 1704067200, '
            '"lines": {"data": [], "has_more": false}}',
        ),
        "lands",
        {"stripe_invoices": "amount_due: expected an integer"},
    ),
    (
        "unknown status",
        append(
            "stripe/invoices.jsonl",
            '{"id": "in_st", "customer": "cus_A1", "status": "lost", '
            '"currency": "usd", "amount_due": 1, "amount_paid": 0, "created": 1704067200, '
            '"lines": {"data": [], "has_more": false}}',
        ),
        "lands",
        {"stripe_invoices": "status: unknown value 'lost'"},
    ),
    (
        "unknown ticket priority",
        append(
            "intercom/tickets.jsonl",
            '{"id": "tk_p", "ticket_state": "submitted", '
            '"ticket_attributes": {"priority": "p0"}, "created_at": 1708387200}',
        ),
        "lands",
        {"intercom_tickets": "priority: unknown value 'p0'"},
    ),
    (
        "two versions of one customer",
        append("stripe/customers.jsonl", customer(id="cus_A1", name="Acme 2")),
        "lands",
        {},
    ),
    (
        "two versions of one ticket, older read last",
        append(
            "intercom/tickets.jsonl",
            json.dumps(
                {
                    "id": "tk_1",
                    "ticket_state": "submitted",
                    "created_at": 1708387200,
                    "updated_at": 1708000000,
                }
            ),
        ),
        "lands",
        {},
    ),
    (
        "a preview invoice",
        append(
            "stripe/invoices.jsonl",
            '{"object": "invoice", "customer": "cus_A1", '
            '"status": "draft", "currency": "usd", "amount_due": 1, "amount_paid": 0, "created": 1704067200, '
            '"lines": {"data": [], "has_more": false}}',
        ),
        "lands",
        {},
    ),
    (
        "a deleted customer's stub",
        append("stripe/customers.jsonl", '{"id": "cus_gone", "object": "customer", "deleted": true}'),
        "lands",
        {},
    ),
    ("CRLF line endings", crlf("stripe/customers.jsonl"), "lands", {}),
    ("a byte-order mark", bom("intercom/contacts.jsonl"), "lands", {}),
    ("parts in a folder with a stray file", as_parts("stripe/invoices"), "lands", {}),
    (
        "blank lines only in an optional file",
        replace_file("intercom/surveys.jsonl", "\n\n  \n"),
        "fails",
        "raw.intercom_survey_responses from",
    ),
    (
        "an empty required file",
        replace_file("stripe/customers.jsonl", ""),
        "fails",
        "raw.stripe_customers from stripe/customers.jsonl: the snapshot has 0 rows",
    ),
    ("the intercom folder missing", remove("intercom"), "fails", "HEALTH_SNAPSHOT_MAX_SHRINK"),
    (
        "a required file missing",
        remove("stripe/subscriptions.jsonl"),
        "fails",
        "required file stripe/subscriptions.jsonl is missing",
    ),
    (
        "a folder where a file belongs",
        into_folder("stripe/invoices.jsonl"),
        "fails",
        "stripe/invoices.jsonl in",
    ),
    ("a link to nothing", broken_link("intercom/tickets.jsonl"), "fails", "intercom/tickets.jsonl in"),
    (
        "bytes that are not UTF-8",
        append_bytes("intercom/companies.jsonl", b'{"name": "caf\xe9"}\n'),
        "fails",
        "intercom/companies.jsonl is not valid UTF-8 text (line 7",
    ),
    (
        "an events CSV without its time column",
        replace_file("intercom/events.csv", "event_name\nx\n"),
        "fails",
        "intercom/events.csv",
    ),
    (
        "an events file that is not Parquet",
        replace_file("intercom/events.parquet", "not parquet"),
        "fails",
        "intercom/events.parquet",
    ),
    # An unterminated quote at the end leaves DuckDB no way to read the file: the whole file is refused.
    (
        "a CSV line that does not split",
        append("intercom/events.csv", 'e9,x,2024-03-01T10:00:00Z,"ct_1'),
        "fails",
        "intercom/events.csv is not a readable CSV",
    ),
    (
        "a CSV time that is not a time",
        append("intercom/events.csv", "e10,x,soon,ct_1,,"),
        "lands",
        {"intercom_events": "occurred_at: not an ISO-8601 timestamp"},
    ),
    (
        "half the customers gone",
        lambda drop: (drop / "stripe/customers.jsonl").write_text(
            "".join((drop / "stripe/customers.jsonl").read_text().splitlines(keepends=True)[:2])
        ),
        "fails",
        "HEALTH_SNAPSHOT_MAX_SHRINK=0.5",
    ),
    (
        "a very long name",
        append("stripe/customers.jsonl", customer(id="cus_long", name="n" * 200_000)),
        "lands",
        {},
    ),
]


def raw_state(path: Path) -> dict[str, list]:
    with duckdb.connect(str(path), read_only=True) as con:
        tables = [*RAW_TABLES, QUARANTINE_TABLE, SUPERSEDED_TABLE, "_sync_cursors"]
        return {t: con.execute(f"select * from raw.{t} order by all").fetchall() for t in tables}


def land_drop(warehouse: Path, drop: Path, batch: str):
    with duckdb.connect(str(warehouse)) as con:
        return land(
            DuckDBSession(con),
            FilesSource(drop).extract(list(RAW_TABLES), {}),
            "files",
            batch,
            LOADED_AT,
            max_shrink=DEFAULT_MAX_SHRINK,
        )


@pytest.fixture(scope="module")
def good_warehouse(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("good") / "warehouse.duckdb"
    land_drop(path, DROP, "good")
    return path


def test_the_matrix_has_thirty_cases_or_more():
    assert len(CASES) >= 30 and len({c[0] for c in CASES}) == len(CASES)


@pytest.mark.parametrize(("name", "edit", "outcome", "expected"), CASES, ids=[c[0] for c in CASES])
def test_a_damaged_drop_lands_what_it_can_or_changes_nothing(
    tmp_path, good_warehouse, name, edit, outcome, expected
):
    drop = tmp_path / "drop"
    shutil.copytree(DROP, drop)
    edit(drop)
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(good_warehouse, warehouse)
    before = raw_state(warehouse)
    if outcome == "fails":
        with pytest.raises((SourceError, SnapshotShrinkError)) as failed:
            land_drop(warehouse, drop, "damaged")
        message = str(failed.value)
        assert expected in message and "\n" not in message, message
        assert raw_state(warehouse) == before
        return
    reports = land_drop(warehouse, drop, "damaged")
    for table, report in reports.items():
        assert report.reconciles, (table, report)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        reasons = con.execute("select source_table, reason from raw.quarantine").fetchall()
        superseded = con.execute("select source_table, reason from raw.superseded").fetchall()
    new_reasons = {t: [r for tt, r in reasons if tt == t] for t in RAW_TABLES}
    for table, fragment in expected.items():
        assert any(fragment in r for r in new_reasons[table]), (table, new_reasons[table])
    if name.startswith("two versions"):
        table = "stripe_customers" if "customer" in name else "intercom_tickets"
        assert reports[table].superseded == 1 and [t for t, _ in superseded] == [table]
        assert reports[table].landed == EXPECTED_ROWS[table]
    if name == "two versions of one ticket, older read last":
        with duckdb.connect(str(warehouse), read_only=True) as con:
            assert con.execute(
                "select state from raw.intercom_tickets where ticket_id = 'tk_1'"
            ).fetchall() == [("in_progress",)]
    if name == "a preview invoice":
        assert sum(reports["stripe_invoices"].skipped.values()) == 1
    if name == "a deleted customer's stub":
        assert reports["stripe_customers"].landed == EXPECTED_ROWS["stripe_customers"] + 1
    if name in ("CRLF line endings", "a byte-order mark", "parts in a folder with a stray file"):
        assert {t: r.landed for t, r in reports.items()} == EXPECTED_ROWS
