"""Publishing: after the marts are built and their checks pass, a consistent copy for BI tools."""

import dagster as dg

from dagster_project.defs.alerts.assets import alerts
from dagster_project.defs.dbt.assets import dbt_models
from dagster_project.defs.partitions import SINGLE_RUN, daily_partitions
from dagster_project.defs.publishing.resources import PublishFolder
from dagster_project.defs.python_assets import PYTHON_ASSETS
from dagster_project.publishing import publish_copy
from dagster_project.warehouse.resource import Warehouse

# Every published table: the dbt marts and the tables the Python assets write.
PUBLISHED_KEYS = sorted(
    {key for key in dbt_models.keys if key.path[0] == "marts"}
    | {key for asset in [*PYTHON_ASSETS, alerts] for key in asset.keys},
    key=lambda key: key.to_user_string(),
)


@dg.asset(
    key=["published", "bi_copy"],
    deps=PUBLISHED_KEYS,
    group_name="publishing",
    kinds={"duckdb", "parquet"},
    partitions_def=daily_partitions,
    backfill_policy=SINGLE_RUN,
)
def published_copy(
    context: dg.AssetExecutionContext, warehouse: Warehouse, publish_folder: PublishFolder
) -> dg.MaterializeResult:
    """The copy BI tools read, in HEALTH_PUBLISH_DIR (default data/published): every table of schema marts
    in health.duckdb and as parquet/<table>.parquet, with manifest.json. Built aside and swapped in with
    an atomic rename, so a reader holding the old copy is never blocked and never sees half a table;
    it runs only after every mart was built and its checks passed, and a failed run leaves the last
    copy in place."""
    copy = publish_copy(warehouse.file, publish_folder.folder, run_id=context.run_id)
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
            "published_tables": dg.MetadataValue.md(preview),
        }
    )
