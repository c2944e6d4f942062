"""Jobs: what a run materialises."""

import dagster as dg

# Everything, in dependency order, one step at a time in one process: DuckDB takes a single writer.
everything_job = dg.define_asset_job(
    name="health_warehouse",
    selection=dg.AssetSelection.all(),
    description="Land the raw tables from the configured source, then build every dbt model.",
    executor_def=dg.in_process_executor,
)
