"""The benchmark's books: the next day adds one day to the same span, and the history table's rows."""

from __future__ import annotations

import shutil
from dataclasses import replace

import pytest

from dagster_project.benchmark.__main__ import (
    NotEnoughDisk,
    block_name,
    check_free_disk,
    history_markdown,
    markdown,
)
from dagster_project.benchmark.floors import Floor
from dagster_project.benchmark.measure import StageResult
from dagster_project.benchmark.profiles import PROFILES


def test_the_next_day_continues_the_world_of_the_first_build() -> None:
    small = PROFILES["small"]
    after = small.next_day()
    # The first build's world runs one day past 30 June 2026; the next day is 1 July, with the same
    # settings, so the demo source continues that world instead of starting a new one.
    assert (small.days, small.end_date, small.days_ahead) == (365, "2026-06-30", 1)
    assert (after.days, after.end_date, after.days_ahead) == (365, "2026-07-01", 1)
    first, then = small.env(), after.env()
    assert (
        then.pop("HEALTH_DEMO_END_DATE") == "2026-07-01" and first.pop("HEALTH_DEMO_END_DATE") == "2026-06-30"
    )
    assert first == then and then["HEALTH_DEMO_DAYS_AHEAD"] == "1"
    assert small.with_history(90).days == 90 and small.with_history(90).end_date == "2026-06-30"


def test_the_history_table_has_one_row_per_history_with_the_next_days_stages() -> None:
    small = PROFILES["small"]

    def run(days: int, daily_seconds: float, dbt_seconds: float) -> dict:
        stages = [StageResult("land raw", 1.0, 2**30, 10), StageResult("dbt", dbt_seconds, 2**30, None)]
        daily = {"wall": daily_seconds, "peak": 3 * 2**29, "stages": stages}
        return {"profile": small.with_history(days), "events": 1234, "wall": 99.0, "daily": daily}

    table = history_markdown(small, [run(90, 20.0, 12.5), run(180, 21.0, 13.0)], "make bench-history")
    rows = [line for line in table.splitlines() if line.startswith("| 90 days") or line.startswith("| 180")]
    assert rows == [
        "| 90 days | 1,234 | 99.0 | 20.0 | 1.50 GiB | 1.0 | 12.5 | 0.0 | 0.0 | 0.0 | 0.0 | 0.0 |",
        "| 180 days | 1,234 | 99.0 | 21.0 | 1.50 GiB | 1.0 | 13.0 | 0.0 | 0.0 | 0.0 | 0.0 | 0.0 |",
    ]


def profile_run(engine: str, stage: StageResult, **floors: Floor) -> dict:
    """A small profile's results as ``run_profile`` gives them: one stage, 60 s and 5 s, 2 and 1 GiB."""
    stages = [stage]
    return {
        "profile": PROFILES["small"],
        "engine": engine,
        "contacts": 10,
        "events": 1234,
        "wall": 60.0,
        "peak": 2**31,
        "stages": stages,
        "dbt_layers": {},
        "daily": {"wall": 5.0, "peak": 2**30, "stages": stages, "dbt_layers": {}},
        **floors,
    }


def test_a_profile_measured_on_spark_has_its_own_block_and_heading(monkeypatch) -> None:
    monkeypatch.setenv("HEALTH_TARGET", "spark")
    run = profile_run("spark", StageResult("land raw", 2.0, 2**30, 10))
    page = markdown(run, "make bench PROFILES='small'")
    assert page.startswith(
        "### small on Spark (a local session, dbt-spark's `session` method): 1,000 accounts"
    )
    assert "`HEALTH_TARGET=spark make bench PROFILES='small'`" in page
    assert "| **whole run** | **60.0** | **2.00 GiB** | | **5.0** | **1.00 GiB** | |" in page
    assert "roll-up" not in page
    assert block_name("small", "spark") == "small-spark" and block_name("small", "duckdb") == "small"


def test_a_duckdb_profile_shows_both_floors_with_their_ratios() -> None:
    run = profile_run(
        "duckdb",
        StageResult("dbt", 30.0, 2**30, None),
        floor=Floor(dbt=3.0, alone=2.5, bare=2.0, rows=5000),
        day_floor=Floor(dbt=4.5, alone=3.0, bare=1.5, rows=12000, models=15),
    )
    page = markdown(run, "make bench PROFILES='small'")
    # 2.5 / 2.0 = 1.25, 3.0 / 2.0 = 1.50; 3.0 / 1.5 = 2.00, 4.5 / 1.5 = 3.00
    assert "same SQL in bare DuckDB 2.0 s; dbt alone 2.5 s, **1.25x** the floor;" in page
    assert "beside the other models, 3.0 s (1.50x)." in page
    assert "One day's measures (the next day's 15 daily models, roll-ups apart: 12,000 rows)" in page
    assert "bare DuckDB 1.5 s, one model after the other; dbt alone, one at a time, 3.0 s, **2.00x**" in page
    assert "4.5 s of its time (3.00x)." in page


def test_a_profile_needing_more_disk_than_is_free_stops_before_it_runs(tmp_path) -> None:
    free_gb = shutil.disk_usage(tmp_path).free / 2**30
    check_free_disk(replace(PROFILES["small"], disk_gb=free_gb / 2), tmp_path)
    with pytest.raises(NotEnoughDisk, match=r"small needs about \d+ GB free in .*; [\d.]+ GB are"):
        check_free_disk(replace(PROFILES["small"], disk_gb=free_gb * 2), tmp_path)
