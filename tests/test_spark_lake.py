"""Spark keeps the raw tables in the lake (Parquet under HEALTH_LAKE_DIR), the events in a folder per day,
and rewrites only the days a write touches; DuckDB reads the same files."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dagster_project.defs.ingestion.landing import land
from dagster_project.sources.extract import Batch, TableExtract
from dagster_project.warehouse.resource import Warehouse
from tests.dbt_scenarios import raw_rows
from tests.test_warehouse import DAILY

LOADED_AT = datetime(2026, 1, 10)


@pytest.fixture
def warehouse(spark_folder) -> Warehouse:
    """The module's Spark warehouse, emptied: its schemas dropped and its lake removed."""
    warehouse = Warehouse(path=str(spark_folder / "w.duckdb"), target="spark")
    with warehouse.session() as session:
        for schema in {schema for schema, _ in warehouse.tables()}:
            session.execute(f"drop schema {schema} cascade")
    for path in sorted(lake(warehouse).rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    return warehouse


def lake(warehouse: Warehouse) -> Path:
    return Path(warehouse.engine.lake)


def event(event_id: str, day: int, name: str = "created-report") -> dict:
    return {
        "event_id": event_id,
        "event_name": name,
        "occurred_at": datetime(2026, 1, day, 12),
        "account_id": "a1",
    }


def land_events(warehouse: Warehouse, events: list[dict], batch: str, mode: str = "replace") -> None:
    extract = TableExtract(
        table="intercom_events",
        batches=iter([Batch(raw_rows("intercom_events", events))]),
        origin="test",
        mode=mode,
        ids_unique=mode == "replace",
    )
    with warehouse.session() as session:
        land(session, [extract], source="api", batch_id=batch, loaded_at=LOADED_AT)


def day_files(warehouse: Warehouse, table: str, column: str) -> dict[str, set[str]]:
    """The Parquet files of each day's folder of ``table`` in the lake."""
    root = lake(warehouse) / table.replace(".", "/")
    return {
        folder.name.removeprefix(f"{column}="): {f.name for f in folder.glob("*.parquet")}
        for folder in sorted(root.glob(f"{column}=*"))
    }


def read_with_duckdb(warehouse: Warehouse) -> list[tuple]:
    files = lake(warehouse) / "raw" / "intercom_events" / "*" / "*.parquet"
    with duckdb.connect() as con:
        return con.execute(
            f"""select event_id, event_name, occurred_on
                from read_parquet('{files}', hive_partitioning = true) order by event_id"""
        ).fetchall()


def test_events_land_in_a_folder_per_day_of_the_lake_which_duckdb_reads(warehouse):
    land_events(warehouse, [event("e1", 1), event("e2", 1), event("e3", 2)], "b1")
    assert sorted(day_files(warehouse, "raw.intercom_events", "occurred_on")) == ["2026-01-01", "2026-01-02"]
    assert read_with_duckdb(warehouse) == [
        ("e1", "created-report", date(2026, 1, 1)),
        ("e2", "created-report", date(2026, 1, 1)),
        ("e3", "created-report", date(2026, 1, 2)),
    ]
    # A table without a day is in the lake too, as one folder of Parquet files.
    customers = TableExtract(
        table="stripe_customers",
        batches=iter([Batch(raw_rows("stripe_customers", [{"customer_id": "c1", "account_id": "a1"}]))]),
        origin="test",
    )
    with warehouse.session() as session:
        land(session, [customers], source="api", batch_id="b1", loaded_at=LOADED_AT)
    files = lake(warehouse) / "raw" / "stripe_customers" / "*.parquet"
    with duckdb.connect() as con:
        assert con.execute(f"select customer_id from read_parquet('{files}')").fetchall() == [("c1",)]
    day = date(2026, 1, 1)
    assert warehouse.scalar("select count(*) from raw.intercom_events where occurred_on = ?", [day]) == 2


def test_a_later_pull_rewrites_only_the_days_it_touches(warehouse):
    land_events(warehouse, [event("e1", 1), event("e2", 2), event("e2b", 2), event("e3", 3)], "b1")
    before = day_files(warehouse, "raw.intercom_events", "occurred_on")
    # e2 is delivered again, changed (e2b, the same day, stays as it was); e4 is new.
    land_events(warehouse, [event("e2", 2, "exported-data"), event("e4", 4)], "b2", mode="upsert")
    after = day_files(warehouse, "raw.intercom_events", "occurred_on")
    assert sorted(after) == ["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04"]
    assert after["2026-01-01"] == before["2026-01-01"]
    assert after["2026-01-03"] == before["2026-01-03"]
    assert after["2026-01-02"] and after["2026-01-02"].isdisjoint(before["2026-01-02"])
    assert read_with_duckdb(warehouse) == [
        ("e1", "created-report", date(2026, 1, 1)),
        ("e2", "exported-data", date(2026, 1, 2)),
        ("e2b", "created-report", date(2026, 1, 2)),
        ("e3", "created-report", date(2026, 1, 3)),
        ("e4", "created-report", date(2026, 1, 4)),
    ]
    assert warehouse.scalar("select count(*) from raw.intercom_events") == 5


def test_a_smaller_snapshot_removes_the_days_it_no_longer_has(warehouse):
    land_events(warehouse, [event("e1", 1), event("e2", 2), event("e3", 3)], "b1")
    land_events(warehouse, [event("e1", 1, "exported-data")], "b2")
    assert list(day_files(warehouse, "raw.intercom_events", "occurred_on")) == ["2026-01-01"]
    assert read_with_duckdb(warehouse) == [("e1", "exported-data", date(2026, 1, 1))]
    assert warehouse.scalar("select count(*) from raw.intercom_events") == 1


def managed_day_files(spark_folder: Path, day: date) -> set[str]:
    """The Parquet files of ``marts.daily``'s partition of ``day`` in Spark's warehouse folder."""
    return {f.name for f in spark_folder.rglob(f"daily/as_of_date={day}/*.parquet")}


def test_replace_dates_rewrites_only_the_days_of_its_window_and_empties_a_day_left_without_rows(
    warehouse, spark_folder
):
    days = [date(2026, 1, d) for d in (1, 2, 3)]
    rows = pd.DataFrame({"as_of_date": days, "account_id": "a", "score": [1.0, 2.0, 3.0]})
    warehouse.replace_dates(DAILY, rows, days[0], days[2] + timedelta(days=1))
    before = {day: managed_day_files(spark_folder, day) for day in days}
    assert all(before.values())

    again = pd.DataFrame({"as_of_date": [days[1]], "account_id": ["a"], "score": [20.0]})
    assert warehouse.replace_dates(DAILY, again, days[1], days[2]) == 3
    assert managed_day_files(spark_folder, days[0]) == before[days[0]]
    assert managed_day_files(spark_folder, days[2]) == before[days[2]]
    assert managed_day_files(spark_folder, days[1]).isdisjoint(before[days[1]])

    # A window whose rows skip a day: that day is emptied, as the delete of the other engines does.
    skipping = pd.DataFrame({"as_of_date": [days[0], days[2]], "account_id": "a", "score": [10.0, 30.0]})
    assert warehouse.replace_dates(DAILY, skipping, days[0], days[2] + timedelta(days=1)) == 2
    assert warehouse.query("select as_of_date, score from marts.daily order by 1").to_dict("records") == [
        {"as_of_date": pd.Timestamp(days[0]), "score": 10.0},
        {"as_of_date": pd.Timestamp(days[2]), "score": 30.0},
    ]
    assert managed_day_files(spark_folder, days[1]) == set()
