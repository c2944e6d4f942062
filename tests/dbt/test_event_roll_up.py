"""The roll-up of events into contact-days (int_contact_event_days) on the days after the first build:
it rebuilds the run's day and, of the 60 days its measures read before it, only the stale ones. On
DuckDB, and on PostgreSQL (`make test-engines`).

One account, one contact, a `logged-in` (weight 1.0 in seeds/event_weights.csv) each day from 1 to
10 March 2026, landed on 11 March. A row rebuilt gets the events counted again from raw; a row not
rebuilt keeps what it holds, so each test first marks every row (events = 99) and then reads which
days were rolled up again.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from dagster_project.defs.ingestion.landing import land
from dagster_project.sources.extract import Batch, TableExtract
from dagster_project.sources.raw_tables import RAW_TABLES
from dagster_project.warehouse.resource import Warehouse
from tests.dbt_scenarios import DBT_DIR, dbt_build, project_copy, raw_rows

ROLL_UP = "intermediate.int_contact_event_days"
MARK = 99
FIRST_LOAD = datetime(2026, 3, 11)


def logged_in(n: int, day: date, name: str = "logged-in") -> dict:
    return {
        "event_id": f"e{n}",
        "account_id": "acct_a",
        "contact_id": "u1",
        "event_name": name,
        "occurred_at": datetime(day.year, day.month, day.day, 12),
    }


def march(day: int) -> date:
    return date(2026, 3, day)


def land_events(warehouse: Warehouse, events: list[dict], loaded_at: datetime, mode: str = "upsert") -> None:
    """A load of ``events``: with ``replace``, every raw table (the others empty); with ``upsert``, the
    events merged by id, the rows before them kept as they were loaded."""
    tables = RAW_TABLES if mode == "replace" else ["intercom_events"]
    extracts = [
        TableExtract(
            table=table,
            batches=iter([Batch(raw_rows(table, events if table == "intercom_events" else []))]),
            mode=mode,
            origin="a test load",
        )
        for table in tables
    ]
    with warehouse.session() as session:
        land(session, extracts, source="files", batch_id=loaded_at.isoformat(), loaded_at=loaded_at)


def build_day(warehouse: Warehouse, day: date, project_dir: Path = DBT_DIR) -> None:
    window = {"min_date": day.isoformat(), "max_date": (day + timedelta(days=1)).isoformat()}
    with warehouse.exported_to_env():
        dbt_build(warehouse.file, "int_contact_event_days", window, project_dir=project_dir)


def query(warehouse: Warehouse, sql: str) -> list[tuple]:
    with warehouse.session() as session:
        return session.fetchall(sql)


def mark_every_row(warehouse: Warehouse) -> None:
    warehouse.execute(f"update {ROLL_UP} set events = {MARK}")


def rolled_up_again(warehouse: Warehouse) -> set[date]:
    """The days whose rows were rebuilt since they were marked."""
    return {
        day
        for (day,) in query(warehouse, f"select distinct activity_date from {ROLL_UP} where events <> {MARK}")
    }


@pytest.fixture(params=["duckdb", "postgres"])
def new_warehouse(request, tmp_path):
    """A function giving an empty warehouse on the engine, a new one at each call."""

    def made() -> Warehouse:
        folder = tmp_path / uuid.uuid4().hex[:8]
        folder.mkdir()
        path = str(folder / "warehouse.duckdb")
        if request.param == "postgres":
            dsn = request.getfixturevalue("postgres").create_database(f"test_{uuid.uuid4().hex[:12]}")
            return Warehouse(path=path, target="postgres", pg_dsn=dsn)
        return Warehouse(path=path)

    return made


@pytest.fixture
def built(new_warehouse):
    warehouse = new_warehouse()
    land_events(warehouse, [logged_in(d, march(d)) for d in range(1, 11)], FIRST_LOAD, mode="replace")
    build_day(warehouse, march(10))
    assert query(warehouse, f"select count(*), sum(events) from {ROLL_UP}") == [(10, 10)]
    mark_every_row(warehouse)
    return warehouse


def test_a_day_with_nothing_new_rolls_up_only_its_own_day(built):
    land_events(built, [logged_in(11, march(11))], datetime(2026, 3, 12))
    build_day(built, march(11))
    assert rolled_up_again(built) == {march(11)}
    assert query(built, f"select count(*) from {ROLL_UP}") == [(11,)]


def test_late_events_roll_their_days_up_again_with_every_event_of_those_days(built):
    # Landed on 12 March: the day's event, two late ones of 4 March (a second logged-in, and an export:
    # weight 0.5 by default, as it is not in the seed), and one of 9 January, before the 60 days the run
    # reads (from 10 January): left to a backfill of those days.
    late = [
        logged_in(11, march(11)),
        logged_in(12, march(4)),
        logged_in(13, march(4), "exported-data"),
        logged_in(14, date(2026, 1, 9)),
    ]
    land_events(built, late, datetime(2026, 3, 12))
    build_day(built, march(11))
    assert rolled_up_again(built) == {march(4), march(11)}
    rows = query(
        built,
        f"""select event_name, events, weighted_events, loaded_through from {ROLL_UP}
            where activity_date = '2026-03-04' order by event_name""",
    )
    assert rows == [
        ("exported-data", 1, Decimal("0.5"), datetime(2026, 3, 12)),
        ("logged-in", 2, Decimal("2"), datetime(2026, 3, 12)),
    ]
    assert query(built, f"select count(*) from {ROLL_UP} where activity_date = '2026-01-09'") == [(0,)]


def test_other_weights_roll_up_every_day_of_the_look_back_again(built, tmp_path):
    weights = (DBT_DIR.parent / "seeds" / "event_weights.csv").read_text()
    edited = project_copy(
        tmp_path / "reweighted", {"event_weights.csv": weights.replace("logged-in,1.0,", "logged-in,0.25,")}
    )
    land_events(built, [logged_in(11, march(11))], datetime(2026, 3, 12))
    build_day(built, march(11), project_dir=edited)
    assert rolled_up_again(built) == {march(d) for d in range(1, 12)}
    assert query(built, f"select distinct event_weight, weighted_events from {ROLL_UP}") == [
        (Decimal("0.25"), Decimal("0.25"))
    ]


def test_a_table_rolled_up_before_loaded_through_existed_gets_it_and_its_look_back_rebuilt(built):
    built.execute(f"alter table {ROLL_UP} drop column loaded_through")
    land_events(built, [logged_in(11, march(11))], datetime(2026, 3, 12))
    build_day(built, march(11))
    assert rolled_up_again(built) == {march(d) for d in range(1, 12)}
    assert query(built, f"select count(*), count(loaded_through), sum(events) from {ROLL_UP}") == [
        (11, 11, 11)
    ]
    # The day after, the column is there: only that day is rolled up
    mark_every_row(built)
    land_events(built, [logged_in(12, march(12))], datetime(2026, 3, 13))
    build_day(built, march(12))
    assert rolled_up_again(built) == {march(12)}


def test_the_days_after_add_up_to_a_build_from_nothing(built, new_warehouse):
    late = [logged_in(11, march(11)), logged_in(12, march(4)), logged_in(13, march(12))]
    land_events(built, late[:2], datetime(2026, 3, 12))
    build_day(built, march(11))
    land_events(built, late[2:], datetime(2026, 3, 13))
    build_day(built, march(12))
    built.execute(f"update {ROLL_UP} set events = 1 where events = {MARK}")  # the marks were 1 each
    whole = new_warehouse()
    land_events(whole, [logged_in(d, march(d)) for d in range(1, 11)] + late, FIRST_LOAD, mode="replace")
    build_day(whole, march(12))
    columns = "account_id, contact_id, event_name, activity_date, events, event_weight, weighted_events"
    incremental = query(built, f"select {columns} from {ROLL_UP} order by 1, 2, 3, 4")
    assert incremental == query(whole, f"select {columns} from {ROLL_UP} order by 1, 2, 3, 4")
    assert len(incremental) == 12 and sum(row[4] for row in incremental) == 13
