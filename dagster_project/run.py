"""`make run`: materialise the whole asset graph once and say what was built and where."""

from __future__ import annotations

import os
import sys

import dagster as dg

from dagster_project.settings import absolute, env_or
from dagster_project.warehouse.resource import Warehouse


def _summary(warehouse: Warehouse) -> str:
    lines = [f"Warehouse: {warehouse.file}"]
    with warehouse.connect(read_only=True) as con:
        tables = con.execute(
            """select schema_name, table_name from duckdb_tables() where not starts_with(table_name, '_')
               union all
               select schema_name, view_name from duckdb_views() where not internal
               order by 1, 2"""
        ).fetchall()
        for schema, name in tables:
            rows = con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()[0]
            lines.append(f"  {schema}.{name:<40} {rows:>12,} rows")
    return "\n".join(lines)


def main() -> int:
    # Keep run history where `make dev` shows it.
    home = absolute(env_or("DAGSTER_HOME", "data/dagster_home"))
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").touch()  # an empty one: default local storage, without Dagster's warning
    os.environ["DAGSTER_HOME"] = str(home)

    from dagster_project.definitions import defs

    job = defs.resolve_job_def("health_warehouse")
    with dg.DagsterInstance.get() as instance:
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            # Step-by-step progress without Dagster's debug chatter; the full log is in the UI.
            run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
        )
    if not result.success:
        failures = [e.message for e in result.all_events if e.is_failure]
        print("Run failed:", *failures, sep="\n  ", file=sys.stderr)
        return 1
    built = sorted(
        "/".join(e.asset_key.path) for e in result.all_events if e.event_type_value == "ASSET_MATERIALIZATION"
    )
    print(f"Built {len(built)} assets in run {result.run_id}.")
    print(_summary(Warehouse()))
    print(f"Run history: {os.environ['DAGSTER_HOME']} (see it with `make dev`).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
