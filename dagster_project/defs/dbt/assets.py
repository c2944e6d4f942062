"""Every dbt model and seed as a Dagster asset; dbt tests become asset checks."""

import json

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from dagster_project.defs.dbt.project import dbt_project
from dagster_project.defs.dbt.translator import HealthDbtTranslator
from dagster_project.defs.partitions import SINGLE_RUN, as_of_window, daily_partitions
from dagster_project.warehouse.resource import Warehouse


@dbt_assets(
    manifest=dbt_project.manifest_path,
    dagster_dbt_translator=HealthDbtTranslator(),
    partitions_def=daily_partitions,
    backfill_policy=SINGLE_RUN,
)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: Warehouse):
    """Build the selected dbt models and seeds for the run's days and run their tests, in the warehouse
    the raw assets wrote. The run's window becomes the vars min_date and max_date, which the
    incremental models rebuild; the other models are rebuilt whole."""
    start, end = as_of_window(context)
    window = json.dumps({"min_date": start.isoformat(), "max_date": end.isoformat()})
    with warehouse.exported_to_env():
        yield from dbt.cli(["build", "--vars", window], context=context).stream()
