"""The roll-up of events into contact-days (int_contact_event_days) on the days after the first build:
it rebuilds the run's day and, of the 60 days its measures read before it, only the stale ones.

One account, one contact, a `logged-in` (weight 1.0 in seeds/event_weights.csv) each day from 1 to
10 March 2026, landed on 11 March. A row rebuilt gets the events counted again from raw; a row not
rebuilt keeps what it holds, so each test first marks every row (events = 99) and then reads which
days were rolled up again.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from dagster_project.defs.ingestion.landing import land
from dagster_project.sources.extract import Batch, TableExtract
from dagster_project.warehouse.engines.duckdb_engine import DuckDBSession
from tests.dbt_scenarios import dbt_build, land_scenario, project_copy, query, raw_rows

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
ROLL_UP = "intermediate.int_contact_event_days"
MARK = 99


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


def land_more(path, events: list[dict], loaded_at: datetime) -> None:
    """A later load that brings ``events`` only (merged by id), the rows before it kept as loaded."""
    extract = TableExtract(
        table="intercom_events",
        batches=iter([Batch(raw_rows("intercom_events", events))]),
        mode="upsert",
        origin="a later load",
    )
    with duckdb.connect(str(path)) as con:
        land(DuckDBSession(con), [extract], source="files", batch_id="later", loaded_at=loaded_at)


def build_day(path, day: date, project_dir=None) -> None:
    window = {"min_date": day.isoformat(), "max_date": (day + timedelta(days=1)).isoformat()}
    if project_dir is None:
        dbt_build(path, "int_contact_event_days", window)
    else:
        dbt_build(path, "int_contact_event_days", window, project_dir=project_dir)


def mark_every_row(path) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute(f"update {ROLL_UP} set events = {MARK}")


def rolled_up_again(path) -> set[date]:
    """The days whose rows were rebuilt since they were marked."""
    return {
        day for (day,) in query(path, f"select distinct activity_date from {ROLL_UP} where events <> {MARK}")
    }


@pytest.fixture
def built(tmp_path):
    path = land_scenario(tmp_path, {"intercom_events": [logged_in(d, march(d)) for d in range(1, 11)]})
    build_day(path, march(10))
    assert query(path, f"select count(*), sum(events) from {ROLL_UP}") == [(10, 10)]
    mark_every_row(path)
    return path


def test_a_day_with_nothing_new_rolls_up_only_its_own_day(built):
    land_more(built, [logged_in(11, march(11))], datetime(2026, 3, 12))
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
    land_more(built, late, datetime(2026, 3, 12))
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
    weights = (SEEDS / "event_weights.csv").read_text()
    edited = project_copy(
        tmp_path / "reweighted", {"event_weights.csv": weights.replace("logged-in,1.0,", "logged-in,0.25,")}
    )
    land_more(built, [logged_in(11, march(11))], datetime(2026, 3, 12))
    build_day(built, march(11), project_dir=edited)
    assert rolled_up_again(built) == {march(d) for d in range(1, 12)}
    assert query(built, f"select distinct event_weight, weighted_events from {ROLL_UP}") == [
        (Decimal("0.25"), Decimal("0.25"))
    ]


def test_a_table_rolled_up_before_loaded_through_existed_gets_it_and_its_look_back_rebuilt(built):
    with duckdb.connect(str(built)) as con:
        con.execute(f"alter table {ROLL_UP} drop column loaded_through")
    land_more(built, [logged_in(11, march(11))], datetime(2026, 3, 12))
    build_day(built, march(11))
    assert rolled_up_again(built) == {march(d) for d in range(1, 12)}
    assert query(built, f"select count(*), count(loaded_through), sum(events) from {ROLL_UP}") == [
        (11, 11, 11)
    ]
    # The day after, the column is there: only that day is rolled up
    mark_every_row(built)
    land_more(built, [logged_in(12, march(12))], datetime(2026, 3, 13))
    build_day(built, march(12))
    assert rolled_up_again(built) == {march(12)}


def test_the_days_after_add_up_to_a_build_from_nothing(built, tmp_path):
    late = [logged_in(11, march(11)), logged_in(12, march(4)), logged_in(13, march(12))]
    land_more(built, late[:2], datetime(2026, 3, 12))
    build_day(built, march(11))
    land_more(built, late[2:], datetime(2026, 3, 13))
    build_day(built, march(12))
    with duckdb.connect(str(built)) as con:
        con.execute(f"update {ROLL_UP} set events = 1 where events = {MARK}")  # the marks were 1 each
    every = [logged_in(d, march(d)) for d in range(1, 11)] + late
    (tmp_path / "whole").mkdir()
    whole = land_scenario(tmp_path / "whole", {"intercom_events": every})
    build_day(whole, march(12))
    columns = "account_id, contact_id, event_name, activity_date, events, event_weight, weighted_events"
    incremental = query(built, f"select {columns} from {ROLL_UP} order by all")
    assert incremental == query(whole, f"select {columns} from {ROLL_UP} order by all")
    assert len(incremental) == 12 and sum(row[4] for row in incremental) == 13
