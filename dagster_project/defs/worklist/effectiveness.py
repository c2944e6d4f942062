"""The proof of the worklist: how much of the revenue that left its order would have caught."""

import dagster as dg
from dagster_dbt import get_asset_key_for_model

from dagster_project.defs.dbt.assets import dbt_models
from dagster_project.defs.owners import ANALYTICS
from dagster_project.defs.partitions import SINGLE_RUN, daily_partitions, reaches_latest_day
from dagster_project.defs.worklist.assets import WORKLIST_GROUP, load_settings, risk_horizon_days
from dagster_project.defs.worklist.tables import WORKLIST_EFFECTIVENESS
from dagster_project.warehouse.resource import Warehouse
from dagster_project.worklist.capture import capture_table
from dagster_project.worklist.priority import method_scores

BACKTEST = "marts.churn_walk_forward"


@dg.asset(
    key=["marts", "worklist_effectiveness"],
    deps=[
        ["marts", "churn_walk_forward"],
        get_asset_key_for_model([dbt_models], "int_account_revenue_daily"),
        get_asset_key_for_model([dbt_models], "worklist_settings"),
    ],
    group_name=WORKLIST_GROUP,
    owners=[ANALYTICS],
    kinds={"python", "duckdb"},
    metadata={"dagster/column_schema": WORKLIST_EFFECTIVENESS.column_schema()},
    partitions_def=daily_partitions,
    backfill_policy=SINGLE_RUN,
)
def worklist_effectiveness(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """Order every past snapshot whose outcome is known (marts.churn_walk_forward: each scored by a
    model trained only on the outcomes known before that day) as the worklist would have ordered it
    that day, and as the prioritisation handbook (health x lifetime value), churn likelihood x MRR and a
    random order would have; record the share of the churned MRR and of the churners each catches in the
    top 5%, 10%, 20% and 50% of the list, for all accounts and per segment. Rewritten by a run reaching
    the latest day."""
    if not reaches_latest_day(context, warehouse, BACKTEST):
        context.log.info("the run ends before the latest day: marts.worklist_effectiveness left as it was")
        return dg.MaterializeResult(metadata={"unchanged": True})
    settings = load_settings(warehouse)
    horizon = risk_horizon_days(warehouse)
    snapshots = warehouse.query(SNAPSHOTS_SQL)
    capture = capture_table(snapshots, method_scores(snapshots, settings, horizon), settings.priority_method)
    rows = warehouse.write_table(WORKLIST_EFFECTIVENESS, capture)
    top = capture[(capture["segment"] == "all") & (capture["list_share"] == 0.2)]
    figures = {row.method: row.churned_mrr_share for row in top.itertuples()}
    context.log.info(
        "top 20% of the list catches of the churned MRR: "
        + ", ".join(f"{m} {'n/a' if v is None else f'{v:.0%}'}" for m, v in figures.items())
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "snapshots": int(snapshots["as_of_date"].nunique()) if len(snapshots) else 0,
            **{f"top_20pct_churned_mrr_{m}": "n/a" if v is None else float(v) for m, v in figures.items()},
        }
    )


# Each account-day of the backtest with what the orderings weigh, as it was that day.
SNAPSHOTS_SQL = f"""
select
    backtest.as_of_date,
    backtest.account_id,
    backtest.segment,
    backtest.health_score,
    backtest.churn_likelihood,
    backtest.churned_within_horizon as churned,
    cast(revenue.mrr as double) as mrr,
    cast(coalesce(revenue.lifetime_value, 0) as double) as lifetime_value,
    revenue.days_to_renewal
from {BACKTEST} as backtest
inner join intermediate.int_account_revenue_daily as revenue
    on backtest.account_id = revenue.account_id
    and backtest.as_of_date = revenue.as_of_date
order by backtest.as_of_date, backtest.account_id
"""
