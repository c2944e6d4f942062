"""Small hand-made worlds for testing dbt models: land raw rows in a temporary DuckDB, run real dbt, query.

    path = land_scenario(tmp_path, {"stripe_customers": [{"customer_id": "c1", ...}], ...})
    dbt_build(path, "int_account_revenue_daily")   # the model and everything upstream, seeds included
    rows = query(path, "select ... from intermediate.int_account_revenue_daily")

Raw tables not given are landed empty. Unspecified columns are null, so a
scenario states only what its expected values depend on.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from dagster_project.defs.ingestion.landing import land
from dagster_project.sources.extract import Batch, TableExtract
from dagster_project.sources.raw_tables import RAW_TABLES
from dagster_project.warehouse.engines.duckdb_engine import DuckDBSession

DBT_DIR = Path(__file__).resolve().parents[1] / "dbt"
LOADED_AT = datetime(2026, 1, 1)


def raw_rows(table: str, records: list[dict]) -> pa.Table:
    """Records as an arrow table in the raw contract's schema; missing columns are null."""
    contract = RAW_TABLES[table]
    return pa.Table.from_pylist(
        [{c: r.get(c) for c in contract.column_names} for r in records], schema=contract.arrow_schema
    )


def land_scenario(directory: Path, rows: dict[str, list[dict]]) -> Path:
    """A warehouse at ``directory/warehouse.duckdb`` whose raw tables hold exactly ``rows``."""
    path = directory / "warehouse.duckdb"
    extracts = [
        TableExtract(table=t, batches=iter([Batch(raw_rows(t, rows.get(t, [])))]), origin="scenario")
        for t in RAW_TABLES
    ]
    with duckdb.connect(str(path)) as con:
        land(DuckDBSession(con), extracts, source="files", batch_id="scenario", loaded_at=LOADED_AT)
    return path


def dbt_build(
    warehouse: Path,
    model: str,
    dbt_vars: dict | None = None,
    data_tests: bool = False,
    select: str | None = None,
    project_dir: Path = DBT_DIR,
) -> str:
    """Build ``model`` and everything upstream of it (or the ``select`` given) on ``warehouse``.

    dbt's data tests are left out unless asked for: a scenario states only the
    columns its expectations need. ``project_dir`` may be a copy of the dbt
    project with edited seeds. Returns dbt's output; raises with it when dbt fails.
    """
    args = ["build", "--select", select or f"+{model}"]
    if not data_tests:
        args += ["--exclude-resource-type", "test", "unit_test"]
    if dbt_vars:
        args += ["--vars", repr(dbt_vars).replace("'", '"')]
    return run_dbt(warehouse, args, project_dir)


def run_dbt(warehouse: Path, args: list[str], project_dir: Path = DBT_DIR) -> str:
    """``dbt <args>`` on ``warehouse``, its target and logs beside it. Returns dbt's output; raises with
    it when dbt fails."""
    target = warehouse.parent / "dbt_target"
    command = [
        str(Path(sys.executable).with_name("dbt")),
        *args,
        "--profiles-dir",
        ".",
        "--target-path",
        str(target),
        "--log-path",
        str(target),
    ]
    env = {**os.environ, "HEALTH_WAREHOUSE": str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    done = subprocess.run(command, cwd=project_dir, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise AssertionError(f"dbt {' '.join(args)} failed:\n{done.stdout[-6000:]}\n{done.stderr[-2000:]}")
    return done.stdout


def query(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def project_copy(directory: Path, seeds: dict[str, str] | None = None) -> Path:
    """A copy of the dbt project and the seeds beside it, with some seed files' text replaced."""
    root = Path(__file__).resolve().parents[1]
    shutil.copytree(root / "dbt", directory / "dbt", ignore=shutil.ignore_patterns("target", "logs"))
    shutil.copytree(root / "seeds", directory / "seeds")
    for name, text in (seeds or {}).items():
        (directory / "seeds" / name).write_text(text)
    return directory / "dbt"
