"""Recalibration in the pipeline: fit each scorecard's weights on past snapshots whose outcome is known."""

import dagster as dg
from dagster_dbt import get_asset_key_for_model

from dagster_project.defs.dbt.assets import dbt_models
from dagster_project.defs.effectiveness.tables import RECOMMENDED_WEIGHTS
from dagster_project.defs.owners import ANALYTICS
from dagster_project.defs.partitions import SINGLE_RUN, as_of_window, daily_partitions, reaches_latest_day
from dagster_project.effectiveness import FIT_SETTINGS, recommend_weights
from dagster_project.warehouse.resource import Warehouse

# Metadata of each fit: what it was fitted on, so that a day with the same inputs need not fit again.
FINGERPRINT = "inputs_fingerprint"
# The days the recalibration can run for: those with health scores.
SCORED_DAYS = "intermediate.int_account_health_daily"
# Each measure's points on each snapshot labelled before the run's end, with the outcome and any CSM
# override of the day (int_snapshot_measure_points gathers them).
SNAPSHOT_POINTS = """
select
    scorecard_id,
    account_id,
    as_of_date,
    measure,
    category,
    weight,
    method,
    points,
    is_cap_holding,
    cap_score,
    override_score,
    churned
from intermediate.int_snapshot_measure_points
where label_known_on < ?
order by scorecard_id, account_id, as_of_date, measure
"""


@dg.asset(
    key=["marts", "recommended_weights"],
    deps=[
        get_asset_key_for_model([dbt_models], name)
        for name in ("int_snapshot_measure_points", "int_account_health_daily")
    ],
    group_name="effectiveness",
    owners=[ANALYTICS],
    kinds={"python", "scipy", "duckdb"},
    metadata={"dagster/column_schema": RECOMMENDED_WEIGHTS.column_schema()},
    partitions_def=daily_partitions,
    backfill_policy=SINGLE_RUN,
)
def recommended_weights(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """Recalibrate each scorecard: fit its measure weights against the 90-day churn of past monthly
    snapshots (logistic regression on the measures' points, weights non-negative and summing to 1) and
    write marts.recommended_weights with the current and recommended weight of every measure and the
    backtest AUC of the health score with each set. A scorecard's fitted set is recommended only if it
    raises the AUC over all snapshots, so adopting every recommendation (copy recommended_weight into
    seeds/scorecard_measures.csv, or `make adopt-weights`) never lowers it. Rewritten only by a run
    reaching the latest day."""
    if not reaches_latest_day(context, warehouse, SCORED_DAYS):
        context.log.info("the run ends before the latest day: marts.recommended_weights left as it was")
        return dg.MaterializeResult(metadata={"unchanged": True})
    _, end = as_of_window(context)
    # The same rows counted and hashed in the warehouse: whether they changed since the last fit, without
    # reading them all into Python. The warehouse is part of it: a run history may have served another.
    rows = warehouse.fingerprint(SNAPSHOT_POINTS, [end])
    fingerprint = f"{warehouse.location}:{rows}:{FIT_SETTINGS}"
    if fingerprint == _last_fingerprint(context) and warehouse.columns(RECOMMENDED_WEIGHTS.name):
        # No snapshot labelled since the last fit and the same weights: the fit would come out the same
        warehouse.execute(f"update {RECOMMENDED_WEIGHTS.name} set labels_known_before = ?", [end])
        context.log.info("no new labelled snapshot and the same weights since the last fit: kept it")
        return dg.MaterializeResult(metadata={"refitted": False, FINGERPRINT: fingerprint})
    table = recommend_weights(warehouse.query(SNAPSHOT_POINTS, [end])).assign(labels_known_before=end)
    if table.empty:
        table = table.reindex(columns=RECOMMENDED_WEIGHTS.column_names)
    written = warehouse.write_table(RECOMMENDED_WEIGHTS, table)
    cards = table.drop_duplicates("scorecard_id")
    for card in cards.itertuples():
        context.log.info(f"scorecard {card.scorecard_id}: {card.status}")
    changed = table[table["recommended_weight"] != table["current_weight"]]
    return dg.MaterializeResult(
        metadata={
            "refitted": True,
            FINGERPRINT: fingerprint,
            "dagster/row_count": written,
            "all_current_auc": _number(cards["all_current_auc"].iloc[0] if len(cards) else None),
            "all_recommended_auc": _number(cards["all_recommended_auc"].iloc[0] if len(cards) else None),
            "scorecards_recommended": int((cards["status"] == "recommended").sum()),
            "changes": dg.MetadataValue.md(
                changed[["scorecard_id", "measure", "current_weight", "recommended_weight"]].to_markdown(
                    index=False
                )
                if len(changed)
                else "no change recommended"
            ),
        }
    )


def _last_fingerprint(context: dg.AssetExecutionContext) -> str | None:
    event = context.instance.get_latest_materialization_event(context.asset_key)
    materialization = event.asset_materialization if event else None
    value = materialization.metadata.get(FINGERPRINT) if materialization else None
    return None if value is None else value.value


def _number(value: float | None) -> float | str:
    return "n/a" if value is None or value != value else float(value)
