"""The demo source delivers a world day by day: the next day lands only what that day brought.

The reference for every count is a full load of the same world seen on the later day, landed into a
warehouse of its own: what the increments add up to must equal it row for row.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from dagster_project.defs.ingestion.landing import ensure_raw_schema, land, stored_cursors
from dagster_project.sources.demo import DemoSource, events
from dagster_project.sources.demo import source as demo_source
from dagster_project.sources.raw_tables import RAW_TABLES
from dagster_project.warehouse.engines.duckdb_engine import DuckDBSession

END = dt.date(2025, 6, 30)
NEXT = END + dt.timedelta(days=1)
WORLD = {"accounts": 120, "seed": 3, "days_ahead": 3}
EVENTS = "intercom_events"


def source(end: dt.date, days: int = 120, **settings) -> DemoSource:
    return DemoSource(days=days, end_date=end, **{**WORLD, **settings})


def load(session: DuckDBSession, demo: DemoSource, batch: str):
    ensure_raw_schema(session)
    return land(
        session,
        demo.extract(list(RAW_TABLES), stored_cursors(session)),
        "demo",
        batch,
        dt.datetime(2026, 1, 1),
    )


@pytest.fixture
def session(tmp_path: Path):
    connection = duckdb.connect(str(tmp_path / "w.duckdb"))
    yield DuckDBSession(connection)
    connection.close()


@pytest.fixture(scope="module")
def whole_next_day(tmp_path_factory) -> dict[str, list[tuple]]:
    """Every raw table of the world seen on NEXT, from one full load of it (its history starts on the
    same day: one day longer, one day less ahead)."""
    connection = duckdb.connect(str(tmp_path_factory.mktemp("whole") / "w.duckdb"))
    demo = source(NEXT, days=121, days_ahead=2)
    # The settings differ from the incremental runs', so they must start from this world's own cursor.
    reports = load(DuckDBSession(connection), demo, "whole")
    assert {r.mode for r in reports.values()} == {"replace"}
    rows = {table: _rows(connection, table) for table in RAW_TABLES}
    connection.close()
    return rows


def _rows(connection, table: str) -> list[tuple]:
    columns = ", ".join(f'"{c}"' for c in RAW_TABLES[table].column_names)
    return connection.execute(f"select {columns} from raw.{table} order by all").fetchall()


def test_the_next_day_lands_that_days_events_and_what_changed_and_adds_up_to_a_whole_load(
    session, whole_next_day
):
    first = load(session, source(END), "day1")
    assert {r.mode for r in first.values()} == {"replace"}
    events_before = first[EVENTS].rows_in_table
    first_rows = {table: _rows(session.con, table) for table in RAW_TABLES}

    second = load(session, source(NEXT), "day2")
    assert {r.mode for r in second.values()} == {"upsert"}
    # The events read are those of the new day alone, counted on the whole load by their date.
    new_events = sum(1 for row in whole_next_day[EVENTS] if row[2].date() == NEXT)
    assert new_events > 0
    assert second[EVENTS].read == second[EVENTS].landed == new_events
    assert second[EVENTS].rows_in_table == events_before + new_events
    for table, report in second.items():
        assert report.reconciles, table
        assert report.rows_in_table == len(whole_next_day[table]), table
        assert _rows(session.con, table) == whole_next_day[table], table
    # Of the other tables the source delivered only what the day created or changed: every row of the
    # whole load not in the first one (for parts, every part of a subscription or invoice with one).
    for table, report in second.items():
        if table == EVENTS:
            continue
        changed = _changed_rows(first_rows[table], whole_next_day[table], table)
        assert report.read == report.landed == changed, table
        assert report.unchanged == 0, table
        # Companies and contacts carry when they were last seen, which moves daily for an account in use.
        if table not in ("intercom_companies", "intercom_contacts"):
            assert changed < len(whole_next_day[table]) / 10, table
    assert second["stripe_invoices"].read > 0 and second["intercom_contacts"].read > 0


def _changed_rows(before: list[tuple], after: list[tuple], table: str) -> int:
    """How many rows of ``after`` belong to an object that is new or differs from ``before``."""
    raw = RAW_TABLES[table]
    key = raw.column_names.index(raw.parent_key or raw.primary_key)
    differing = {row[key] for row in set(after) ^ set(before)}
    return sum(1 for row in after if row[key] in differing)


def test_the_next_day_generates_the_events_of_that_day_alone(session, monkeypatch):
    """A daily load costs one day of events, not a simulation of the whole history."""
    load(session, source(END), "day1")
    generated = []
    simulate_day = events._day

    def recorded(acc, contacts, p, day, breadth_bias):
        generated.append(day)
        return simulate_day(acc, contacts, p, day, breadth_bias)

    monkeypatch.setattr(events, "_day", recorded)
    load(session, source(NEXT), "day2")
    first_day = END - dt.timedelta(days=119)  # the first load's 120 days end on END
    assert generated == [(NEXT - first_day).days]


def test_running_the_same_day_again_lands_nothing_and_simulates_nothing(session, monkeypatch):
    load(session, source(END), "day1")

    def simulated(p):
        raise AssertionError("the same day again simulated the world")

    monkeypatch.setattr(demo_source, "simulate_accounts", simulated)
    again = load(session, source(END), "again")
    assert {t: (r.read, r.landed) for t, r in again.items()} == dict.fromkeys(RAW_TABLES, (0, 0))
    assert session.fetchall(f"select distinct _batch_id from raw.{EVENTS}") == [("day1",)]


def test_an_earlier_day_after_a_later_one_changes_nothing(session):
    load(session, source(END), "day1")
    load(session, source(NEXT), "day2")
    counts = {t: session.fetchone(f"select count(*) from raw.{t}")[0] for t in RAW_TABLES}
    back = load(session, source(END), "back")
    assert {t: r.landed for t, r in back.items()} == dict.fromkeys(RAW_TABLES, 0)
    assert {t: r.rows_in_table for t, r in back.items()} == counts


def test_other_settings_or_a_day_past_the_world_start_a_new_world(session):
    load(session, source(END), "day1")
    other = load(session, source(NEXT, accounts=100), "other")
    assert {r.mode for r in other.values()} == {"replace"}
    past = load(session, source(END + dt.timedelta(days=30), accounts=100), "past")
    assert {r.mode for r in past.values()} == {"replace"}
