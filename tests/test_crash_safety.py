"""A run killed part-way leaves a usable warehouse, and the next run ends with the same tables as an
uninterrupted one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import DBT_DIR, ROOT, SMALL_DEMO
from tests.pipeline import assert_same_tables, materialise

pytestmark = pytest.mark.slow


def dbt_models_built_since(started: float) -> int:
    """Models the newest dbt invocation has finished, from its log (the warehouse itself is locked)."""
    logs = [p for p in DBT_DIR.glob("target/run-*/dbt.log") if p.stat().st_mtime >= started]
    if not logs:
        return 0
    return max(p.read_text(errors="replace").count(" OK created sql ") for p in logs)


def test_a_run_killed_during_dbt_recovers_to_the_same_tables(tmp_path, demo_run):
    _, uninterrupted = demo_run
    path = tmp_path / "warehouse.duckdb"
    started = time.time()
    run = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import sys; from tests.pipeline import materialise; materialise(sys.argv[1], **{SMALL_DEMO!r})",
            str(path),
        ],
        cwd=ROOT,
        start_new_session=True,  # its own process group: dbt dies with it
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 300
        while dbt_models_built_since(started) < 8 and run.poll() is None and time.time() < deadline:
            time.sleep(0.2)
        assert run.poll() is None, "the run ended before it could be killed"
        killed_after = dbt_models_built_since(started)
        os.killpg(run.pid, signal.SIGKILL)
    finally:
        run.wait(timeout=60)
    assert killed_after >= 8
    assert materialise(path, **SMALL_DEMO).success
    assert_same_tables(path, uninterrupted)
