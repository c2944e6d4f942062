"""`make run` from nothing: the first build's days are recorded in Dagster as materialised partitions; later
runs build the last complete day."""

import os
import subprocess
import sys

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


def test_a_warehouse_with_history_builds_the_last_complete_day_and_one_without_every_day():
    last = last_complete_day()
    assert days_to_build(has_history=True) == (last, last)
    assert days_to_build(has_history=False) == ("2025-01-01", last)  # deployment.toml's history_start
    assert range_tags("2025-01-01", last) == {
        "dagster/asset_partition_range_start": "2025-01-01",
        "dagster/asset_partition_range_end": last,
    }
