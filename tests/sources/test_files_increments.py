"""A files drop landed part by part: a new part lands alone, a changed or removed one re-lands the table."""

from __future__ import annotations

import json
import os
import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from files_drop_expected import DROP

from dagster_project.defs.ingestion.landing import ensure_raw_schema, land, stored_cursors
from dagster_project.sources.files import FilesSource
from dagster_project.warehouse.engines.duckdb_engine import DuckDBSession

EVENTS = "intercom_events"
CONTACTS = "intercom_contacts"


def event_csv(*rows: tuple[str, str, str]) -> str:
    """Events of the drop's known contacts: (event id, name, contact id), all on 2024-03-01."""
    lines = ["event_id,event_name,occurred_at,contact_id"]
    lines += [f"{eid},{name},2024-03-01T10:00:00Z,{contact}" for eid, name, contact in rows]
    return "\n".join(lines) + "\n"


@pytest.fixture
def drop(tmp_path: Path) -> Path:
    """The fixture drop with its events in a folder of parts: a.csv holds three events."""
    folder = tmp_path / "drop"
    shutil.copytree(DROP, folder)
    (folder / "intercom/events.csv").unlink()
    (folder / "intercom/events").mkdir()
    (folder / "intercom/events/a.csv").write_text(
        event_csv(("e1", "created-report", "ct_1"), ("e2", "logged-in", "ct_2"), ("e3", "logged-in", "ct_1"))
    )
    return folder


@pytest.fixture
def session(tmp_path: Path):
    connection = duckdb.connect(str(tmp_path / "w.duckdb"))
    yield DuckDBSession(connection)
    connection.close()


def load(session: DuckDBSession, drop: Path, tables: list[str], batch: str):
    """Land ``tables`` from the drop as the raw asset does: with the cursors of the last load."""
    ensure_raw_schema(session)
    extracts = FilesSource(drop).extract(tables, stored_cursors(session))
    return land(session, extracts, "files", batch, datetime(2026, 1, 1), max_shrink=0.5)


def event_ids(session: DuckDBSession) -> list[str]:
    return [r[0] for r in session.fetchall(f"select event_id from raw.{EVENTS} order by event_id")]


def test_a_new_part_lands_alone_and_the_rows_before_it_stay(session, drop: Path):
    first = load(session, drop, [EVENTS], "b1")[EVENTS]
    assert (first.mode, first.read, first.landed, first.rows_in_table) == ("replace", 3, 3, 3)

    (drop / "intercom/events/b.csv").write_text(
        event_csv(("e4", "exported-data", "ct_2"), ("e5", "logged-in", "ct_3"))
    )
    second = load(session, drop, [EVENTS], "b2")[EVENTS]
    assert (second.mode, second.origin) == ("upsert", "intercom/events/b.csv")
    assert (second.read, second.landed, second.unchanged, second.rows_in_table) == (2, 2, 0, 5)
    assert event_ids(session) == ["e1", "e2", "e3", "e4", "e5"]
    # Each row says which load brought it.
    batches = session.fetchall(f"select _batch_id, count(*) from raw.{EVENTS} group by 1 order by 1")
    assert batches == [("b1", 3), ("b2", 2)]


def test_running_again_with_no_new_part_lands_nothing(session, drop: Path):
    load(session, drop, [EVENTS], "b1")
    again = load(session, drop, [EVENTS], "b2")[EVENTS]
    assert (again.mode, again.read, again.landed, again.rows_in_table) == ("upsert", 0, 0, 3)
    assert again.origin.endswith("no file added since the last load")
    assert session.fetchall(f"select distinct _batch_id from raw.{EVENTS}") == [("b1",)]


def test_a_part_rewritten_in_place_lands_the_table_again_from_every_part(session, drop: Path):
    load(session, drop, [EVENTS], "b1")
    (drop / "intercom/events/b.csv").write_text(event_csv(("e4", "exported-data", "ct_2")))
    load(session, drop, [EVENTS], "b2")
    part = drop / "intercom/events/a.csv"
    part.write_text(event_csv(("e1", "created-report", "ct_1"), ("e2", "logged-in", "ct_2")))
    # A rewrite in the same nanosecond with the same size is what a fingerprint cannot see; move the
    # clock on so this test never depends on the file system's time resolution.
    stat = part.stat()
    os.utime(part, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    third = load(session, drop, [EVENTS], "b3")[EVENTS]
    assert (third.mode, third.read, third.landed, third.rows_in_table) == ("replace", 3, 3, 3)
    assert event_ids(session) == ["e1", "e2", "e4"]


def test_a_removed_part_is_a_new_snapshot_and_the_shrink_guard_still_holds(session, drop: Path):
    load(session, drop, [EVENTS], "b1")
    (drop / "intercom/events/b.csv").write_text(event_csv(("e4", "exported-data", "ct_2")))
    load(session, drop, [EVENTS], "b2")
    (drop / "intercom/events/a.csv").unlink()
    with pytest.raises(Exception, match="snapshot has 1 rows where the table has 4"):
        load(session, drop, [EVENTS], "b3")
    assert event_ids(session) == ["e1", "e2", "e3", "e4"]


def test_entities_in_a_new_part_merge_by_id(session, drop: Path):
    contacts = drop / "intercom/contacts"
    contacts.mkdir()
    (drop / "intercom/contacts.jsonl").rename(contacts / "2024-03-01.jsonl")
    first = load(session, drop, [CONTACTS], "b1")[CONTACTS]
    assert (first.mode, first.landed, first.rows_in_table) == ("replace", 5, 5)
    changed = {"type": "contact", "id": "ct_1", "role": "user", "name": "Ann Lee", "created_at": 1704067200}
    new = {"type": "contact", "id": "ct_9", "role": "lead", "name": "Di", "created_at": 1709251200}
    (contacts / "2024-03-02.jsonl").write_text("\n".join(json.dumps(c) for c in (changed, new)) + "\n")
    second = load(session, drop, [CONTACTS], "b2")[CONTACTS]
    assert (second.mode, second.read, second.landed, second.rows_in_table) == ("upsert", 2, 2, 6)
    names = dict(session.fetchall(f"select contact_id, name from raw.{CONTACTS}"))
    assert (names["ct_1"], names["ct_9"], names["ct_2"]) == ("Ann Lee", "Di", "Bo")


def test_tables_of_one_file_share_its_parts(session, drop: Path):
    """Subscriptions and their items come from one pass: a new part of subscriptions fills both."""
    tables = ["stripe_subscriptions", "stripe_subscription_items"]
    load(session, drop, ["stripe_customers", *tables], "b1")
    parts = drop / "stripe/subscriptions"
    parts.mkdir()
    (drop / "stripe/subscriptions.jsonl").rename(parts / "1.jsonl")
    # The file moved: a new snapshot, landed whole once more.
    moved = load(session, drop, tables, "b2")
    assert {r.mode for r in moved.values()} == {"replace"}
    line = json.loads((parts / "1.jsonl").read_text().splitlines()[0])
    line["id"], line["items"]["data"] = "sub_new", line["items"]["data"][:1]
    line["items"]["data"][0]["id"] = "si_new"
    (parts / "2.jsonl").write_text(json.dumps(line) + "\n")
    added = load(session, drop, tables, "b3")
    assert {t: (r.mode, r.read, r.landed) for t, r in added.items()} == {
        "stripe_subscriptions": ("upsert", 1, 1),
        "stripe_subscription_items": ("upsert", 1, 1),
    }
    ids = session.fetchall("select subscription_id from raw.stripe_subscription_items where _batch_id = 'b3'")
    assert ids == [("sub_new",)]
