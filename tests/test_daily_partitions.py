"""Daily partitions: a run adds its day, and re-running a day replaces it with identical rows.

The small demo is built for 29 June (the first build: all history up to that day), then for 30 June;
a copy of that folder then re-runs 29 June. Every intermediate and published table must be identical to the
straight run and hold no duplicates.
"""

from __future__ import annotations

import shutil

import duckdb
import pytest

from tests.conftest import SMALL_DEMO
from tests.pipeline import assert_same_tables, materialise

pytestmark = pytest.mark.slow

FIRST, SECOND = "2026-06-29", SMALL_DEMO["demo_end_date"]


def build(path, day: str) -> None:
    assert materialise(path, partition_key=day, **SMALL_DEMO).success, day


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory):
    root = tmp_path_factory.mktemp("partitions")
    straight, rerun = root / "straight" / "warehouse.duckdb", root / "rerun" / "warehouse.duckdb"
    build(straight, FIRST)
    build(straight, SECOND)
    # The re-run starts from the straight run's folder (warehouse, model files, published copy; the
    # publish folder's `parquet` link is relative, so it is copied as a link).
    shutil.copytree(straight.parent, rerun.parent, symlinks=True)
    build(rerun, FIRST)
    return straight, rerun


def test_the_second_day_is_added_to_the_history(warehouses):
    straight, _ = warehouses
    with duckdb.connect(str(straight), read_only=True) as con:
        days = con.execute(
            "select min(as_of_date), max(as_of_date) from marts.customer_health_history"
        ).fetchone()
        assert str(days[1]) == SECOND
        assert (
            str(con.execute("select max(as_of_date) from marts.customer_signals_history").fetchone()[0])
            == SECOND
        )
        assert (
            str(con.execute("select distinct as_of_date from marts.prioritized_accounts").fetchone()[0])
            == SECOND
        )


def test_rerunning_a_day_gives_the_straight_run_tables_without_duplicates(warehouses):
    straight, rerun = warehouses
    assert_same_tables(rerun, straight)
    with duckdb.connect(str(rerun), read_only=True) as con:
        for name in (
            "marts.customer_health_history",
            "marts.churn_predictions_history",
            "marts.customer_signals_history",
        ):
            rows, distinct = con.execute(
                f"select count(*), count(distinct (account_id, as_of_date)) from {name}"
            ).fetchone()
            assert rows == distinct, name
