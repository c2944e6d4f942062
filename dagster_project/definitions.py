"""The code location: one place that assembles every domain's assets, jobs and resources."""

import dagster as dg

from dagster_project.defs.alerts.assets import alerts
from dagster_project.defs.alerts.resources import AlertWebhook
from dagster_project.defs.alerts.sensors import deliver_alerts, undelivered_alerts_sensor
from dagster_project.defs.dbt.assets import dbt_backtest_models, dbt_models
from dagster_project.defs.dbt.resource import dbt_cli
from dagster_project.defs.ingestion.assets import raw_tables
from dagster_project.defs.ingestion.resources import RawSource
from dagster_project.defs.jobs import daily_schedule, everything_job
from dagster_project.defs.publishing.assets import published_copy
from dagster_project.defs.publishing.resources import PublishFolder
from dagster_project.defs.python_assets import PYTHON_ASSETS
from dagster_project.defs.quality.checks import QUALITY_CHECKS
from dagster_project.defs.report.assets import health_report
from dagster_project.warehouse.resource import Warehouse

# Every asset of the job, in the order the data flows.
ASSETS = [
    raw_tables,
    dbt_models,
    *PYTHON_ASSETS,
    dbt_backtest_models,
    alerts,
    published_copy,
    health_report,
]


def build_definitions() -> dg.Definitions:
    """Assets, jobs and resources; resources read their env vars when a run starts, not here."""
    return dg.Definitions(
        assets=ASSETS,
        asset_checks=QUALITY_CHECKS,
        jobs=[everything_job, deliver_alerts],
        sensors=[undelivered_alerts_sensor],
        schedules=[daily_schedule],
        # DuckDB takes one writing process per file: every run executes its steps in one process.
        executor=dg.in_process_executor,
        resources={
            "warehouse": Warehouse(),
            "raw_source": RawSource(),
            "publish_folder": PublishFolder(),
            "alert_webhook": AlertWebhook(),
            "dbt": dbt_cli(),
        },
    )


defs = build_definitions()
