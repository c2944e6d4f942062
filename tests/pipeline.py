"""The whole pipeline on the small demo for the slow tests (the same assets as the job), and the comparison
of two built warehouses table by table."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import dagster as dg
import duckdb

from dagster_project.definitions import ASSETS
from dagster_project.defs.alerts.resources import AlertWebhook
from dagster_project.defs.dbt.resource import dbt_cli
from dagster_project.defs.ingestion.resources import RawSource
from dagster_project.defs.publishing.resources import PublishFolder
from dagster_project.defs.quality.checks import QUALITY_CHECKS
from dagster_project.warehouse.resource import Warehouse
from tests.conftest import SMALL_DEMO


def materialise(
    warehouse_path,
    partition_key: str = SMALL_DEMO["demo_end_date"],
    history_batch_account_days: int | None = None,
    instance: dg.DagsterInstance | None = None,
    target: str | None = None,
    pg_dsn: str | None = None,
    **source_settings,
):
    """Everything for one day; the first build of each table covers all history up to that day.

    ``target`` picks the engine (DuckDB at ``warehouse_path`` by default); the churn model's files and
    the published copy go beside ``warehouse_path`` whatever the engine."""
    warehouse = Warehouse(
        path=str(warehouse_path),
        history_batch_account_days=history_batch_account_days,
        target=target,
        pg_dsn=pg_dsn,
    )
    return dg.materialize(
        [*ASSETS, *QUALITY_CHECKS],
        partition_key=partition_key,
        instance=instance,
        resources={
            "warehouse": warehouse,
            "raw_source": RawSource(kind="demo", **source_settings),
            "publish_folder": PublishFolder(path=str(Path(warehouse_path).parent / "published")),
            "alert_webhook": AlertWebhook(url=None),
            "dbt": dbt_cli(),
        },
    )


# Differ by design between two runs of the same days: when a model was trained and the folder it was saved
# in, when an alert was recorded and delivered, when the events of a contact-day were loaded.
RUN_SPECIFIC = {
    "marts.churn_model_metrics": ("trained_at", "artifact"),
    "marts.alerts": ("recorded_at", "delivered_at"),
    "intermediate.int_contact_event_days": ("loaded_through",),
}


def tables(con) -> list[str]:
    return [
        f"{schema}.{name}"
        for schema, name in con.execute(
            """select table_schema, table_name from information_schema.tables
               where table_catalog = current_database() and table_schema in ('intermediate', 'marts')
                   and table_type = 'BASE TABLE'
               order by 1, 2"""
        ).fetchall()
    ]


def assert_same_tables(path, expected, only: Collection[str] = ()) -> None:
    """Every intermediate and marts table of ``path`` (or those named in ``only``) holds exactly the rows
    of ``expected``'s."""
    with duckdb.connect(str(path), read_only=True) as con:
        con.execute(f"attach '{expected}' as expected (read_only)")
        names = [name for name in tables(con) if not only or name in only]
        assert len(names) > 30 or (only and len(names) == len(only)), names
        for name in names:
            excluded = RUN_SPECIFIC.get(name, ())
            columns = ", ".join(
                # Doubles to 9 decimals: DuckDB's parallel sums add in varying order (1e-16 apart).
                f'round("{c}", 9)' if t in ("DOUBLE", "FLOAT") else f'"{c}"'
                for c, t in con.execute(
                    """select column_name, data_type from information_schema.columns
                       where table_catalog = current_database() and table_schema || '.' || table_name = ?
                       order by ordinal_position""",
                    [name],
                ).fetchall()
                if c not in excluded
            )
            differing = con.execute(
                f"""select count(*) from (
                        (select {columns} from {name} except all select {columns} from expected.{name})
                        union all
                        (select {columns} from expected.{name} except all select {columns} from {name})
                    )"""
            ).fetchone()[0]
            assert differing == 0, name
