"""Recalibration in the pipeline: fit each scorecard's weights on past snapshots whose outcome is known."""

from datetime import date

import dagster as dg
from dagster_dbt import get_asset_key_for_model

from dagster_project.defs.dbt.assets import dbt_models
from dagster_project.defs.effectiveness.tables import RECOMMENDED_WEIGHTS
from dagster_project.defs.owners import ANALYTICS
from dagster_project.defs.partitions import SINGLE_RUN, as_of_window, daily_partitions, reaches_latest_day
from dagster_project.effectiveness import CAP, FIT_SETTINGS, Scorecard, recommend
from dagster_project.warehouse.resource import Warehouse

# Metadata of each fit: what it was fitted on, so that a day with the same inputs need not fit again.
FINGERPRINT = "inputs_fingerprint"
# The days the recalibration can run for: those with health scores.
SCORED_DAYS = "intermediate.int_account_health_daily"
# Each measure's points on each snapshot labelled before the run's end, with the outcome and any CSM
# override of the day (int_snapshot_measure_points gathers them): what a fit reads, fingerprinted.
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
"""
# Every scorecard's measures, caps too: a row each
CATALOGUE = f"""
select distinct scorecard_id, measure, category, weight, method
from ({SNAPSHOT_POINTS}) as snapshot_points
order by scorecard_id, measure
"""


def snapshots_sql(measures: int) -> str:
    """One scorecard's snapshots, a row each: the points of each of its ``measures`` scored measures
    (parameters: their names, then the run's end and the scorecard), the lowest holding cap, the override
    and the outcome. Pivoted here, so that Python never holds a row per snapshot and measure (8.6M on
    large's first build)."""
    points = "".join(
        f"max(points) filter (where measure = ? and method <> '{CAP}') as measure_{i},\n    "
        for i in range(measures)
    )
    return f"""
select
    {points}min(cap_score) filter (where is_cap_holding) as cap,
    max(override_score) as override_score,
    max(churned) as churned
from intermediate.int_snapshot_measure_points
where label_known_on < ? and scorecard_id = ?
group by account_id, as_of_date
having count(*) filter (where method <> '{CAP}') > 0
order by account_id, as_of_date
"""


def labelled_scorecards(warehouse: Warehouse, end: date) -> list[Scorecard]:
    """Each scorecard's snapshots labelled before ``end``, in matrices, read one scorecard at a time."""
    scorecards = []
    for scorecard_id, catalogue in warehouse.query(CATALOGUE, [end]).groupby("scorecard_id", sort=True):
        measures = sorted(catalogue.loc[catalogue["method"] != CAP, "measure"])
        snapshots = warehouse.query(snapshots_sql(len(measures)), [*measures, end, scorecard_id])
        points = snapshots.iloc[:, : len(measures)].set_axis(measures, axis="columns")
        scorecards.append(Scorecard.from_snapshots(str(scorecard_id), catalogue, points, snapshots))
    return scorecards


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
    table = recommend(labelled_scorecards(warehouse, end)).assign(labels_known_before=end)
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
