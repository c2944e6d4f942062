"""Floors: what dbt's models cost against the same compiled SQL run bare in DuckDB.

Two are measured on a profile's warehouse once its runs are done: the event roll-up of the first build
(raw events into contact-days, the heaviest single model), and one day's measures (the daily models the
next day's run rebuilt: measures, scores and grades for that one as-of date). Each is timed by dbt in
the job (beside other models on dbt's threads), by dbt alone, and bare in DuckDB.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from dagster_project.defs.dbt.assets import daily_model_nodes, window_env
from dagster_project.defs.dbt.project import dbt_executable, dbt_project
from dagster_project.warehouse.resource import Warehouse

ROLLUP = "intermediate/engagement/int_contact_event_days.sql"


@dataclass(frozen=True)
class Floor:
    """One piece of dbt's work timed three ways (seconds), and the rows the bare SQL made."""

    dbt: float | None  # dbt in the job
    alone: float | None  # dbt with nothing beside it
    bare: float  # the compiled SQL in DuckDB
    rows: int
    models: int = 1

    @property
    def complete(self) -> bool:
        """Whether all three times were taken (a model missing from the job's log has none there)."""
        return bool(self.dbt and self.alone and self.bare)


def event_rollup_floor(warehouse: Path, result: dict) -> Floor:
    """The roll-up of raw events into contact-days of the first build (``result``): dbt's time in the
    job, dbt's time for it alone (a full refresh of that one model), and the job's compiled SQL run bare
    in DuckDB into a table of the same warehouse."""
    compiled = _compiled_folder(Path("target") / f"run-{result['run_id'][:8]}") / ROLLUP
    sql = compiled.read_text()
    alone = _dbt_seconds(warehouse, ["run", "--select", Path(ROLLUP).stem, "--full-refresh"], {})
    bare, rows = _bare(warehouse, [sql])
    return Floor(result["dbt_models"].get(ROLLUP), alone.get(Path(ROLLUP).stem), bare, rows)


def day_measures_floor(warehouse: Path, result: dict, day: str) -> Floor:
    """The daily models the next day's run (``result``, for ``day``) rebuilt, the roll-ups apart: their
    summed times in the job, built again alone one at a time (the same day replaced by the same rows),
    and their SQL compiled for that day run bare in DuckDB, one after the other."""
    nodes = [node for node in daily_model_nodes() if "rebuilt_window" not in node["config"].get("meta", {})]
    names = [node["name"] for node in nodes]
    start = date.fromisoformat(day)
    env = window_env(start, start + timedelta(days=1), "window", start + timedelta(days=1))
    _dbt_seconds(warehouse, ["compile", "--select", *names], env)
    sqls = [(_compiled_folder(_target(warehouse)) / node["path"]).read_text() for node in nodes]
    bare, rows = _bare(warehouse, sqls)
    alone = _dbt_seconds(warehouse, ["run", "--select", *names, "--threads", "1"], env)
    in_job = [result["dbt_models"].get(node["path"]) for node in nodes]
    return Floor(
        dbt=None if None in in_job else sum(in_job),
        alone=sum(alone.values()) if set(alone) == set(names) else None,
        bare=bare,
        rows=rows,
        models=len(nodes),
    )


def _target(warehouse: Path) -> Path:
    """The target folder of the floors' own dbt commands, beside the profile's warehouse."""
    return warehouse.parent / "dbt_floor"


def _compiled_folder(target: Path) -> Path:
    return Path(dbt_project.project_dir) / target / "compiled" / "customer_health" / "models"


def _bare(warehouse: Path, sqls: list[str]) -> tuple[float, int]:
    """Seconds to run each query into a table of the warehouse, one after the other; the rows made."""
    seconds, rows = 0.0, 0
    with Warehouse(path=str(warehouse), target="duckdb").engine.connect() as con:
        for sql in sqls:
            started = time.perf_counter()
            made = con.execute(
                f"create table main.floor_model as {sql}; select count(*) from main.floor_model"
            )
            rows += made.fetchone()[0]
            seconds += time.perf_counter() - started
            con.execute("drop table main.floor_model")
    return seconds, rows


def _dbt_seconds(warehouse: Path, args: list[str], env: dict[str, str]) -> dict[str, float]:
    """Run dbt with ``args`` on ``warehouse`` (its own target folder); each node's execution time."""
    target = _target(warehouse)
    command = [
        dbt_executable(),
        *args,
        "--target-path",
        str(target),
        "--profiles-dir",
        str(dbt_project.profiles_dir),
    ]
    run_env = {**os.environ, **env, "HEALTH_WAREHOUSE": str(warehouse)}
    subprocess.run(command, cwd=dbt_project.project_dir, env=run_env, check=True, capture_output=True)
    results = json.loads((target / "run_results.json").read_text())["results"]
    return {r["unique_id"].rsplit(".", 1)[-1]: r["execution_time"] for r in results}
