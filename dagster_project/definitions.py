"""The code location: one place that assembles every domain's assets, jobs and resources."""

import dagster as dg
from dagster_dbt import DbtCliResource

from dagster_project.defs.churn.assets import churn_model_metrics, churn_predictions
from dagster_project.defs.churn.tables import (
    CHURN_MODEL_METRICS,
    CHURN_PREDICTIONS,
    CHURN_PREDICTIONS_HISTORY,
)
from dagster_project.defs.dbt.assets import dbt_models
from dagster_project.defs.dbt.project import dbt_executable, dbt_project
from dagster_project.defs.ingestion.assets import raw_tables
from dagster_project.defs.ingestion.resources import RawSource
from dagster_project.defs.jobs import daily_schedule, everything_job
from dagster_project.defs.worklist.assets import customer_signals, prioritized_accounts
from dagster_project.defs.worklist.tables import (
    CUSTOMER_SIGNALS,
    CUSTOMER_SIGNALS_HISTORY,
    PRIORITIZED_ACCOUNTS,
)
from dagster_project.warehouse.resource import Warehouse

# After dbt: train and score the churn model, then the signals and the worklist.
PYTHON_ASSETS = [churn_model_metrics, churn_predictions, customer_signals, prioritized_accounts]
# The published tables those assets write, each with its contract.
PYTHON_TABLES = (
    CHURN_MODEL_METRICS,
    CHURN_PREDICTIONS,
    CHURN_PREDICTIONS_HISTORY,
    CUSTOMER_SIGNALS,
    CUSTOMER_SIGNALS_HISTORY,
    PRIORITIZED_ACCOUNTS,
)


def build_definitions() -> dg.Definitions:
    """Assets, jobs and resources; resources read their env vars when a run starts, not here."""
    return dg.Definitions(
        assets=[raw_tables, dbt_models, *PYTHON_ASSETS],
        jobs=[everything_job],
        schedules=[daily_schedule],
        # DuckDB takes one writing process per file: every run executes its steps in one process.
        executor=dg.in_process_executor,
        resources={
            "warehouse": Warehouse(),
            "raw_source": RawSource(),
            "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable()),
        },
    )


defs = build_definitions()
