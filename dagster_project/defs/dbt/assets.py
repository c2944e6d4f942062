"""Every dbt model and seed as a Dagster asset; dbt tests become asset checks."""

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from dagster_project.defs.dbt.project import dbt_project
from dagster_project.defs.dbt.translator import HealthDbtTranslator
from dagster_project.warehouse.resource import Warehouse


@dbt_assets(manifest=dbt_project.manifest_path, dagster_dbt_translator=HealthDbtTranslator())
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: Warehouse):
    """Build the selected dbt models and seeds and run their tests, in the warehouse the raw assets wrote."""
    with warehouse.exported_to_env():
        yield from dbt.cli(["build"], context=context).stream()
