"""One benchmark run, in its own process (the parent measures its memory).

    python -m dagster_project.benchmark.job <result.json> <day> [--generate]

Runs the daily job for ``day`` on the warehouse of the environment: a first build when the warehouse is
empty, the next day's incremental run when it holds the days before. ``--generate`` first times the
demo generator alone. The profile comes from the environment (HEALTH_DEMO_*, HEALTH_WAREHOUSE, ...), set
by the parent. Writes what happened as JSON: each step's start and end (epoch seconds) and rows, dbt's
own time per model, and the rows of each warehouse schema.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import dagster as dg

from dagster_project.defs.dbt.project import dbt_project
from dagster_project.defs.ingestion.resources import RawSource
from dagster_project.instance import prepare_home
from dagster_project.sources.raw_tables import RAW_TABLES

# Rows the step wrote where it says so (a daily run writes a day; a raw table the rows landed), else the
# table's rows.
ROW_KEYS = ("rows_written", "rows_landed", "dagster/row_count")


def generate() -> dict:
    """Generate every raw table in memory without landing it: the generator's own cost."""
    started = time.time()
    rows = {}
    for extract in RawSource().build().extract(list(RAW_TABLES), {}):
        rows[extract.table] = sum(batch.rows.num_rows for batch in extract.batches)
    return {
        "step": "generate",
        "start": started,
        "end": time.time(),
        "rows": sum(rows.values()),
        "tables": rows,
    }


def run_job(day: str) -> tuple[list[dict], str, bool]:
    """The daily job for ``day`` on the run history in DAGSTER_HOME (the parent gives each profile one);
    each step's times and rows."""
    from dagster_project.definitions import defs

    prepare_home()
    with dg.DagsterInstance.get() as instance:
        result = defs.resolve_job_def("health_warehouse").execute_in_process(
            instance=instance, partition_key=day, raise_on_error=False
        )
        entries = instance.all_logs(result.run_id)
    steps: dict[str, dict] = {}
    for entry in entries:
        event = entry.dagster_event
        if event is None or event.step_key is None:
            continue
        step = steps.setdefault(event.step_key, {"step": event.step_key, "rows": 0})
        kind = event.event_type_value
        if kind == "STEP_START":
            step["start"] = entry.timestamp
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE"):
            step["end"] = entry.timestamp
            step["ok"] = kind == "STEP_SUCCESS"
        elif kind == "ASSET_MATERIALIZATION":
            metadata = event.event_specific_data.materialization.metadata
            rows = next((metadata[k].value for k in ROW_KEYS if k in metadata), 0)
            step["rows"] += rows if isinstance(rows, int) else 0
    return [s for s in steps.values() if "start" in s and "end" in s], result.run_id, result.success


def dbt_model_seconds(run_id: str) -> dict[str, float]:
    """dbt's execution time of each model and seed in the run (both dbt steps log to one folder)."""
    log = Path(dbt_project.project_dir) / "target" / f"run-{run_id[:8]}" / "dbt.log"
    seconds = {}
    for line in log.read_text().splitlines() if log.exists() else []:
        record = json.loads(line)
        if record.get("info", {}).get("code") != "Q012":
            continue
        node = record["data"]["node_info"]
        seconds[node["node_path"]] = record["data"]["execution_time"]
    return seconds


def main(result_file: str, day: str, with_generate: bool) -> int:
    generated = [generate()] if with_generate else []
    steps, run_id, success = run_job(day)
    result = {
        "success": success,
        "run_id": run_id,
        "steps": [*generated, *steps],
        "dbt_models": dbt_model_seconds(run_id),
    }
    Path(result_file).write_text(json.dumps(result, indent=1))
    return 0 if success else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], "--generate" in sys.argv[3:]))
