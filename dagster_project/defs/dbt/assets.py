"""Every dbt model and seed as a Dagster asset; dbt tests become asset checks.

Two steps, because some models read what the churn model wrote: `dbt_models` builds everything but the
models tagged `after_churn_model`, and `dbt_backtest_models` builds those once the churn model is trained.
"""

import json
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from dagster_project.defs.dbt.project import dbt_project
from dagster_project.defs.dbt.translator import HealthDbtTranslator
from dagster_project.defs.partitions import SINGLE_RUN, as_of_window, daily_partitions
from dagster_project.warehouse.resource import Warehouse

PREVIEW_ROWS = 5
PREVIEW_COLUMNS = 6
AFTER_CHURN_MODEL = "tag:after_churn_model"


@dbt_assets(
    manifest=dbt_project.manifest_path,
    exclude=AFTER_CHURN_MODEL,
    dagster_dbt_translator=HealthDbtTranslator(),
    partitions_def=daily_partitions,
    backfill_policy=SINGLE_RUN,
)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: Warehouse):
    """Build the selected dbt models and seeds for the run's days and run their tests, in the warehouse
    the raw assets wrote. The run's window becomes the vars min_date and max_date, which the
    incremental models rebuild; the other models are rebuilt whole. The published tables (marts) are
    reported once dbt has finished, with their row counts and a preview."""
    yield from _build(context, dbt, warehouse)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    select=AFTER_CHURN_MODEL,
    dagster_dbt_translator=HealthDbtTranslator(),
    partitions_def=daily_partitions,
    backfill_policy=SINGLE_RUN,
)
def dbt_backtest_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: Warehouse):
    """Build the dbt models that read the churn model's backtest (score_effectiveness and its inputs),
    after the churn model was trained, and run their tests."""
    yield from _build(context, dbt, warehouse)


def _build(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: Warehouse):
    start, end = as_of_window(context)
    window = json.dumps({"min_date": start.isoformat(), "max_date": end.isoformat()})
    published = []
    with warehouse.exported_to_env():
        # Both dbt steps of a run share a target folder: the second reuses the first's parse (dbt parses
        # the whole project again whenever the vars or the warehouse path differ from the saved parse).
        target = Path("target") / f"run-{context.run_id[:8]}"
        for event in dbt.cli(["build", "--vars", window], context=context, target_path=target).stream():
            if _is_published(context, event):
                published.append(event)  # dbt holds the file until it exits: described afterwards
            else:
                yield event
    for event in published:
        yield _described(context, warehouse, event) if isinstance(event, dg.Output) else event


def _is_published(context: dg.AssetExecutionContext, event) -> bool:
    if isinstance(event, dg.Output):
        return context.asset_key_for_output(event.output_name).path[0] == "marts"
    key = getattr(event, "asset_key", None)
    return key is not None and dg.AssetKey.from_coercible(key).path[0] == "marts"


def _described(context: dg.AssetExecutionContext, warehouse: Warehouse, output: dg.Output) -> dg.Output:
    table = ".".join(context.asset_key_for_output(output.output_name).path)
    rows = int(warehouse.scalar(f"select count(*) from {table}"))
    sample = warehouse.query(f"select * from {table} limit {PREVIEW_ROWS}")
    preview = sample.iloc[:, :PREVIEW_COLUMNS].to_markdown(index=False, floatfmt=".2f")
    return output.with_metadata(
        {**output.metadata, "dagster/row_count": rows, "preview": dg.MetadataValue.md(preview)}
    )
