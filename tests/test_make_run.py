"""`make run` from nothing: the first build's days are recorded in Dagster as materialised partitions; later
runs build the last complete day."""

import os
import subprocess
import sys
from datetime import date, timedelta

import dagster as dg

from dagster_project.definitions import defs
from dagster_project.defs.partitions import daily_partitions, days_to_build, last_complete_day, range_tags
from tests.conftest import ROOT


def make_run(tmp_path) -> str:
    env = {
        **os.environ,
        "HEALTH_WAREHOUSE": str(tmp_path / "warehouse.duckdb"),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        "HEALTH_PUBLISH_DIR": str(tmp_path / "published"),
        "HEALTH_DEMO_ACCOUNTS": "40",
        "HEALTH_DEMO_DAYS": "100",
    }
    env.pop("DAGSTER_EVENT_BATCH_SIZE", None)
    done = subprocess.run(
        [sys.executable, "-m", "dagster_project.run"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_first_build_records_every_day_it_built(tmp_path, monkeypatch):
    shown = make_run(tmp_path)
    last = last_complete_day()
    first = daily_partitions.get_first_partition_key()
    assert f"First build: every day from {first} to {last}" in shown
    every_day = set(daily_partitions.get_partition_keys())
    assert last in every_day and first in every_day

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    graph = defs.resolve_asset_graph()
    daily = [key for key in graph.executable_asset_keys if graph.get(key).partitions_def is not None]
    assert len(daily) > 50
    with dg.DagsterInstance.get() as instance:
        for key in daily:
            assert instance.get_materialized_partitions(key) == every_day, key.to_user_string()
        (run,) = instance.get_runs()
        assert run.tags["dagster/asset_partition_range_start"] == first


def test_make_run_builds_every_day_after_the_last_one_built_or_the_last_day_again():
    last = date.fromisoformat(last_complete_day())
    key = date.isoformat
    # No history: every day from deployment.toml's history_start.
    assert days_to_build(None) == ("2025-01-01", key(last))
    # Built up to the day before: the last complete day alone; up to it or later: that day again.
    assert days_to_build(last - timedelta(days=1)) == (key(last), key(last))
    assert days_to_build(last) == (key(last), key(last))
    assert days_to_build(last + timedelta(days=3)) == (key(last), key(last))
    # Three days without a run: caught up in one run; a history that ends before the partitions start.
    assert days_to_build(last - timedelta(days=4)) == (key(last - timedelta(days=3)), key(last))
    assert days_to_build(date(2024, 6, 30)) == ("2025-01-01", key(last))
    assert range_tags("2025-01-01", key(last)) == {
        "dagster/asset_partition_range_start": "2025-01-01",
        "dagster/asset_partition_range_end": key(last),
    }
