"""Publishing: after the marts are built and their checks pass, a consistent copy for BI tools."""

from contextlib import nullcontext

import dagster as dg

from dagster_project.defs.alerts.assets import alerts
from dagster_project.defs.dbt.assets import dbt_backtest_models, dbt_models
from dagster_project.defs.owners import DATA_ENGINEERING
from dagster_project.defs.partitions import SINGLE_RUN, daily_partitions
from dagster_project.defs.publishing.resources import PublishFolder
from dagster_project.defs.python_assets import PYTHON_ASSETS
from dagster_project.publishing import publish_copy
from dagster_project.publishing.mirror import mirror_published_tables
from dagster_project.warehouse.resource import Warehouse

# Every published table: the dbt marts and the tables the Python assets write.
PUBLISHED_SPECS = sorted(
    [spec for dbt in (dbt_models, dbt_backtest_models) for spec in dbt.specs if spec.key.path[0] == "marts"]
    + [spec for asset in [*PYTHON_ASSETS, alerts] for spec in asset.specs],
    key=lambda spec: spec.key.to_user_string(),
)
PUBLISHED_KEYS = [spec.key for spec in PUBLISHED_SPECS]


def published_columns() -> dict[str, tuple[str, ...]]:
    """``marts.<table>``: each published table's columns in its contract's order (the dbt model's YAML,
    or the Python asset's `PublishedTable`). An engine may store them in another order (Spark puts a
    partition column last); BI tools get this one."""
    return {
        ".".join(spec.key.path): tuple(column.name for column in schema.columns)
        for spec in PUBLISHED_SPECS
        if (schema := spec.metadata.get("dagster/column_schema")) is not None
    }


class PublishRefused(RuntimeError):
    """An error-severity check failed earlier in the run: the last good copy stays published."""


def failed_error_checks(context: dg.AssetExecutionContext) -> list[str]:
    """``asset:check`` of every error-severity check that failed in this run so far."""
    records = context.instance.get_records_for_run(
        run_id=context.run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION, limit=100_000
    ).records
    failed = []
    for record in records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR:
            failed.append(f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}")
    return sorted(set(failed))


@dg.asset(
    key=["published", "bi_copy"],
    deps=PUBLISHED_KEYS,
    group_name="publishing",
    owners=[DATA_ENGINEERING],
    kinds={"duckdb", "parquet"},
    partitions_def=daily_partitions,
    backfill_policy=SINGLE_RUN,
)
def published_copy(
    context: dg.AssetExecutionContext, warehouse: Warehouse, publish_folder: PublishFolder
) -> dg.MaterializeResult:
    """The copy BI tools read, in HEALTH_PUBLISH_DIR (default data/published): every table of schema marts
    in health.duckdb and as Parquet (parquet/<table>.parquet, or parquet/<table>/<YYYY-MM>.parquet for a
    table with an as_of_date), with manifest.json. Built aside and swapped in with an atomic rename, so
    a reader holding the old copy is never blocked and never sees half a table; it runs only after every
    mart was built and its checks passed, and a failed run leaves the last copy in place. Only the days
    rewritten since the last copy (the warehouse's log of rewritten days) are copied again, with the
    Parquet files of their months, and every table is reconciled with the warehouse before the copy is
    swapped in."""
    failed = failed_error_checks(context)
    if failed:
        raise PublishRefused(
            f"not publishing: error-severity checks failed in this run ({', '.join(failed)}); "
            f"the copy in {publish_folder.folder} stays as it was. Fix the data and re-run the day."
        )
    folder = publish_folder.folder
    # The copy is built from a DuckDB file: the warehouse itself, or a mirror of another engine's marts.
    source = (
        warehouse.file
        if warehouse.target_name == "duckdb"
        else mirror_published_tables(warehouse, folder, published_columns())
    )
    # The copy reads the warehouse's file through a DuckDB of its own: this run lets go of the file.
    with warehouse.engine.lent_out() if source == warehouse.file else nullcontext():
        copy = publish_copy(
            source, folder, run_id=context.run.run_id, memory_limit=warehouse.duckdb_memory_limit
        )
    preview = "\n".join(
        ["| table | rows |", "| --- | ---: |", *(f"| {t} | {n:,} |" for t, n in copy.tables.items())]
    )
    return dg.MaterializeResult(
        metadata={
            "folder": dg.MetadataValue.path(str(copy.folder)),
            "database": dg.MetadataValue.path(str(copy.database)),
            "as_of_date": copy.as_of_date or "none",
            "tables": len(copy.tables),
            "dagster/row_count": sum(copy.tables.values()),
            "months_copied": dg.MetadataValue.json(copy.months_copied),
            "published_tables": dg.MetadataValue.md(preview),
        }
    )
