"""The whole pipeline on the small demo, for the slow tests: one function, the same assets as the job."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from dagster_project.defs.alerts.assets import alerts
from dagster_project.defs.alerts.resources import AlertWebhook
from dagster_project.defs.dbt.assets import dbt_models
from dagster_project.defs.dbt.project import dbt_executable, dbt_project
from dagster_project.defs.ingestion.assets import raw_tables
from dagster_project.defs.ingestion.resources import RawSource
from dagster_project.defs.publishing.assets import published_copy
from dagster_project.defs.publishing.resources import PublishFolder
from dagster_project.defs.python_assets import PYTHON_ASSETS
from dagster_project.defs.quality.checks import QUALITY_CHECKS
from dagster_project.warehouse.resource import Warehouse
from tests.conftest import SMALL_DEMO


def materialise(warehouse_path, partition_key: str = SMALL_DEMO["demo_end_date"], **source_settings):
    """Everything for one day; the first build of each table covers all history up to that day."""
    return dg.materialize(
        [raw_tables, dbt_models, *PYTHON_ASSETS, alerts, published_copy, *QUALITY_CHECKS],
        partition_key=partition_key,
        resources={
            "warehouse": Warehouse(path=str(warehouse_path)),
            "raw_source": RawSource(kind="demo", **source_settings),
            "publish_folder": PublishFolder(path=str(Path(warehouse_path).parent / "published")),
            "alert_webhook": AlertWebhook(url=None),
            "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable()),
        },
    )
