"""The health report for people: an HTML page in the publish folder, after the BI copy is published."""

import dagster as dg

from dagster_project.defs.owners import DATA_ENGINEERING
from dagster_project.defs.partitions import SINGLE_RUN, daily_partitions
from dagster_project.defs.publishing.resources import PublishFolder
from dagster_project.report import build_report, save_report
from dagster_project.warehouse.resource import Warehouse


@dg.asset(
    key=["published", "health_report"],
    # After the published copy: the report appears only once the checks passed and the copy was swapped in.
    deps=[dg.AssetKey(["published", "bi_copy"])],
    group_name="publishing",
    owners=[DATA_ENGINEERING],
    kinds={"plotly", "html"},
    partitions_def=daily_partitions,
    backfill_policy=SINGLE_RUN,
)
def health_report(
    context: dg.AssetExecutionContext, warehouse: Warehouse, publish_folder: PublishFolder
) -> dg.MaterializeResult:
    """report.html in the publish folder (HEALTH_PUBLISH_DIR, default data/published), beside the BI copy:
    one self-contained page that opens offline, with the grades by segment, the book's health over time, the
    backtest's churn rate by grade and ROC curves, revenue at risk by priority tier, MRR movements by month
    and the top 25 accounts of the worklist with their reasons. Written aside and renamed over the old page,
    so a reader never sees half a file and a failed run leaves the last report."""
    report = build_report(warehouse)
    path = save_report(report.html, publish_folder.folder)
    context.log.info(f"report of {report.as_of_date or 'no data yet'} written to {path}")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(path)),
            "charts": report.charts,
            "size_bytes": path.stat().st_size,
            "as_of_date": str(report.as_of_date) if report.as_of_date else "none",
        }
    )
