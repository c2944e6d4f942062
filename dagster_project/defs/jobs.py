"""Jobs: what a run materialises."""

import dagster as dg

everything_job = dg.define_asset_job(
    name="health_warehouse",
    selection=dg.AssetSelection.all(),
    description="Land the raw tables from the configured source, then build every dbt model.",
)
