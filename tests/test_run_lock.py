"""One run writes the warehouse at a time: a second run waits, then stops in one line, changing nothing."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from dagster_project.defs.ingestion.assets import raw_tables
from dagster_project.defs.ingestion.resources import RawSource
from dagster_project.progress import user_error
from dagster_project.warehouse.resource import Warehouse
from dagster_project.warehouse.run_lock import WarehouseLockedError, lock_file_of, run_lock
from tests.conftest import ROOT

HOLD = """
import sys, time
from pathlib import Path
from dagster_project.warehouse.run_lock import run_lock
with run_lock(Path(sys.argv[1]), "6a2a063e-holder-run"):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def hold(warehouse: Path, seconds: float = 60) -> subprocess.Popen:
    """Another process holding the warehouse, as a running job would; returns once it holds it."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(warehouse), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_a_second_run_waits_then_names_the_holder_and_changes_nothing(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    holder = hold(warehouse)
    try:
        started = time.monotonic()
        with pytest.raises(WarehouseLockedError) as busy, run_lock(warehouse, "second-run", wait_seconds=1.0):
            pytest.fail("the lock was granted to a second run")
        assert time.monotonic() - started >= 1.0
        message = str(busy.value)
        assert message.startswith(f"another run is writing {warehouse} since ")
        assert "(run 6a2a063e, process " in message and "nothing was changed" in message
        assert "HEALTH_RUN_LOCK_WAIT_SECONDS" in message
    finally:
        holder.kill()
        holder.wait()


def test_the_lock_dies_with_its_process(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    holder = hold(warehouse)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    # No stale lock: the operating system let go of it with the process.
    with run_lock(warehouse, "next-run", wait_seconds=0):
        assert lock_file_of(warehouse).read_text().startswith('{"run_id": "next-run"')


def test_a_run_of_the_job_holds_it_and_a_second_one_stops_before_writing(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    resources = {
        "warehouse": Warehouse(path=str(warehouse), run_lock_wait_seconds=0.5),
        "raw_source": RawSource(kind="demo", demo_accounts=20, demo_days=40, demo_end_date="2026-06-30"),
    }
    holder = hold(warehouse)
    try:
        result = dg.materialize([raw_tables], resources=resources, raise_on_error=False)
    finally:
        holder.kill()
        holder.wait()
    assert not result.success
    (failure,) = [e for e in result.all_events if e.event_type_value == "RESOURCE_INIT_FAILURE"]
    shown = user_error(failure.event_specific_data.error)
    assert shown.startswith("WarehouseLockedError: another run is writing") and "\n" not in shown
    assert not warehouse.exists()  # not even opened
    # Free again: the same run goes through, holding the lock while it writes.
    assert dg.materialize([raw_tables], resources=resources).success


def test_make_run_loses_in_one_line(tmp_path):
    env = {
        **os.environ,
        "HEALTH_WAREHOUSE": str(tmp_path / "warehouse.duckdb"),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        "HEALTH_PUBLISH_DIR": str(tmp_path / "published"),
        "HEALTH_RUN_LOCK_WAIT_SECONDS": "1",
    }
    holder = hold(tmp_path / "warehouse.duckdb")
    try:
        done = subprocess.run(
            [sys.executable, "-m", "dagster_project.run"], cwd=ROOT, env=env, capture_output=True, text=True
        )
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode == 1
    lines = (done.stdout + done.stderr).strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"another run is writing {tmp_path / 'warehouse.duckdb'} since ")
    assert not (tmp_path / "warehouse.duckdb").exists() and not (tmp_path / "logs").exists()


def test_every_step_of_a_run_writes_under_its_run_lock(tmp_path):
    seen = []

    @dg.asset
    def writes(context: dg.AssetExecutionContext, warehouse: Warehouse) -> None:
        seen.append((context.run_id, lock_file_of(warehouse.file).read_text()))

    @dg.asset(deps=[writes])
    def writes_again(context: dg.AssetExecutionContext, warehouse: Warehouse) -> None:
        seen.append((context.run_id, lock_file_of(warehouse.file).read_text()))

    warehouse = Warehouse(path=str(tmp_path / "warehouse.duckdb"))
    result = dg.materialize([writes, writes_again], resources={"warehouse": warehouse})
    assert [run for run, _ in seen] == [result.run_id] * 2
    assert all(f'"run_id": "{result.run_id}"' in text for _, text in seen)
    assert lock_file_of(warehouse.file).read_text() == ""  # let go at the end of the run
