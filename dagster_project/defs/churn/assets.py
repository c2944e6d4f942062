"""The churn model in the pipeline: train on the dbt snapshots, then predict every account-day."""

from datetime import date, timedelta

import dagster as dg
from dagster_dbt import get_asset_key_for_model

from dagster_project.churn import ChurnModel, ModelFormatError, fit_churn_model
from dagster_project.defs.churn.predictions import driver_words, prediction_rows
from dagster_project.defs.churn.tables import (
    CHURN_BACKTEST,
    CHURN_MODEL_METRICS,
    CHURN_PREDICTIONS,
    CHURN_PREDICTIONS_HISTORY,
    CHURN_WALK_FORWARD,
)
from dagster_project.defs.churn.training import (
    backtest_rows,
    metrics_row,
    training_inputs,
    walk_forward_rows,
)
from dagster_project.defs.dbt.assets import dbt_models
from dagster_project.defs.owners import ANALYTICS
from dagster_project.defs.partitions import (
    SINGLE_RUN,
    as_of_window,
    daily_partitions,
    python_window,
    reaches_latest_day,
)
from dagster_project.warehouse.resource import Warehouse

CHURN_GROUP = "churn"
FEATURES = "intermediate.int_account_churn_features_daily"
# Account-days of features scored at once: bounds memory whatever the length of history, and is large
# enough for scoring to use every core (PARALLEL_SCORING_ROWS). At least a month of days at a time.
ROWS_PER_BATCH = 250_000
MIN_DAYS_PER_BATCH = 31


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ["marts", "churn_model_metrics"],
            description=(
                "One row per trained churn model: its kind, version, training snapshots and validation "
                "metrics (AUC, average precision, Brier, top decile, calibration)."
            ),
            deps=[get_asset_key_for_model([dbt_models], "int_churn_snapshots")],
            group_name=CHURN_GROUP,
            owners=[ANALYTICS],
            kinds={"python", "scikitlearn", "duckdb"},
            metadata={"dagster/column_schema": CHURN_MODEL_METRICS.column_schema()},
        ),
        dg.AssetSpec(
            ["marts", "churn_backtest"],
            description=(
                "The time split row by row: each validation snapshot with the likelihood the model trained "
                "only on earlier snapshots gave it, and whether the account churned. score_effectiveness "
                "measures the churn likelihood on it."
            ),
            deps=[["marts", "churn_model_metrics"]],
            group_name=CHURN_GROUP,
            owners=[ANALYTICS],
            kinds={"python", "duckdb"},
            metadata={"dagster/column_schema": CHURN_BACKTEST.column_schema()},
        ),
        dg.AssetSpec(
            ["marts", "churn_walk_forward"],
            description=CHURN_WALK_FORWARD.description,
            deps=[["marts", "churn_model_metrics"]],
            group_name=CHURN_GROUP,
            owners=[ANALYTICS],
            kinds={"python", "scikitlearn", "duckdb"},
            metadata={"dagster/column_schema": CHURN_WALK_FORWARD.column_schema()},
        ),
    ],
    partitions_def=daily_partitions,
    backfill_policy=SINGLE_RUN,
)
def churn_model_metrics(context: dg.AssetExecutionContext, warehouse: Warehouse):
    """Train the churn model on the monthly account snapshots (intermediate.int_churn_snapshots) with a
    time split, save it as a versioned artifact beside the warehouse (models/churn-<version>.joblib),
    and record its validation metrics (AUC, average precision, Brier, top-decile precision and recall,
    calibration) as one dated row per trained model in marts.churn_model_metrics, its validation
    predictions in marts.churn_backtest, and every past snapshot scored by a model of its kind trained
    only on the outcomes known before that snapshot in marts.churn_walk_forward (both rewritten only by
    a run reaching the latest day). Only snapshots
    whose label was final by the end of the run's days are used, so re-running an old day trains the
    model it had then. With too little history or too few churn events it warns and falls back to
    segment churn rates."""
    _, end = as_of_window(context)
    snapshots = warehouse.query(
        "select * from intermediate.int_churn_snapshots where label_known_on < ? "
        "order by as_of_date, account_id",
        [end],
    )
    features, label, dates, segments = training_inputs(snapshots)
    previous = _previous_model(context, warehouse)
    model = fit_churn_model(features, label, dates, groups=segments, previous=previous)
    retrained = model is not previous
    for warning in model.warnings:
        context.log.warning(warning)
    artifact = warehouse.file.parent / "models" / f"churn-{model.version}.joblib"
    if retrained:
        model.save(artifact)
        horizon = (
            int(snapshots["horizon_days"].iloc[0]) if "horizon_days" in snapshots and len(snapshots) else None
        )
        row = metrics_row(model, artifact=str(artifact), trained_on=len(snapshots), horizon_days=horizon)
        warehouse.replace_rows(CHURN_MODEL_METRICS, row, key="model_version")
    else:
        context.log.info(f"no new labelled snapshot since churn model {model.version} was trained: kept it")
    metrics = model.metrics.as_dict()
    yield dg.MaterializeResult(
        asset_key=["marts", "churn_model_metrics"],
        metadata={
            "retrained": retrained,
            "model_version": model.version,
            "model_kind": model.kind,
            "training_snapshots": len(snapshots),
            "labels_known_before": str(end),
            **{
                f"validation_{name}": "n/a" if metrics[name] is None else metrics[name]
                for name in ("auc", "average_precision", "brier", "top_decile_precision", "top_decile_recall")
            },
            "calibration": dg.MetadataValue.json(model.metrics.calibration_frame().to_dict("records")),
            # Every candidate of the time split, so the choice can be checked.
            "candidates": dg.MetadataValue.json(
                {
                    kind: {
                        name: None if value is None else float(value)
                        for name, value in metrics.as_dict().items()
                        if name in ("auc", "average_precision", "brier", "top_decile_precision")
                    }
                    for kind, metrics in model.candidate_metrics.items()
                }
            ),
            "warnings": "; ".join(model.warnings) or "none",
            "artifact": dg.MetadataValue.path(str(artifact)),
            "dagster/row_count": warehouse.scalar(f"select count(*) from {CHURN_MODEL_METRICS.name}"),
        },
    )
    if not reaches_latest_day(context, warehouse, FEATURES):
        context.log.info(
            "the run ends before the latest day: marts.churn_backtest and marts.churn_walk_forward left as "
            "they were"
        )
        for key in (["marts", "churn_backtest"], ["marts", "churn_walk_forward"]):
            yield dg.MaterializeResult(asset_key=key, metadata={"unchanged": True})
        return
    backtest = warehouse.write_table(CHURN_BACKTEST, backtest_rows(model, snapshots))
    yield dg.MaterializeResult(
        asset_key=["marts", "churn_backtest"],
        metadata={"dagster/row_count": backtest, "model_version": model.version},
    )
    # A model per past snapshot day: redone only when the labels, and so the model, changed.
    if retrained or not warehouse.columns(CHURN_WALK_FORWARD.name):
        rows = warehouse.write_table(CHURN_WALK_FORWARD, walk_forward_rows(snapshots, model.kind))
        days = warehouse.scalar(f"select count(distinct as_of_date) from {CHURN_WALK_FORWARD.name}")
        metadata = {"dagster/row_count": rows, "snapshot_days": int(days), "model_kind": model.kind}
    else:
        metadata = {"unchanged": True}
    yield dg.MaterializeResult(asset_key=["marts", "churn_walk_forward"], metadata=metadata)


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ["marts", "churn_predictions_history"],
            description=(
                "Churn likelihood of every active account on every as-of date, from the model trained in "
                "the same run, with its segment's average and the ratio between them."
            ),
            deps=[
                ["marts", "churn_model_metrics"],
                get_asset_key_for_model([dbt_models], "int_account_churn_features_daily"),
            ],
            group_name=CHURN_GROUP,
            owners=[ANALYTICS],
            kinds={"python", "scikitlearn", "duckdb"},
            metadata={"dagster/column_schema": CHURN_PREDICTIONS_HISTORY.column_schema()},
        ),
        dg.AssetSpec(
            ["marts", "churn_predictions"],
            description=(
                "Today's churn likelihood of every active account (probability of churning within 90 days), "
                "its segment's average, the ratio between them and the top three drivers in words."
            ),
            deps=[["marts", "churn_predictions_history"]],
            group_name=CHURN_GROUP,
            owners=[ANALYTICS],
            kinds={"python", "duckdb"},
            metadata={"dagster/column_schema": CHURN_PREDICTIONS.column_schema()},
        ),
    ],
    partitions_def=daily_partitions,
    backfill_policy=SINGLE_RUN,
)
def churn_predictions(context: dg.AssetExecutionContext, warehouse: Warehouse):
    """Score the run's account-days of the feature table with the model the run trained; rewrite today's
    table when the run reaches the latest day."""
    model, version = _latest_model(warehouse)
    window = python_window(context, warehouse, CHURN_PREDICTIONS_HISTORY.name, FEATURES)
    if window is None:
        raise RuntimeError(f"{FEATURES} is empty: there is no active account-day to score yet.")
    # Batches of days, each written as soon as it is scored: a first build's history is never held in
    # memory whole.
    in_window = f"select count(*) from {FEATURES} where as_of_date >= ? and as_of_date < ?"
    rows_in_window = warehouse.scalar(in_window, [window.start, window.end])
    days = days_per_batch(int(rows_in_window or 0), (window.end - window.start).days)
    scored, history_rows = 0, 0
    for batch_start in _batch_starts(window.start, window.end, days):
        batch_end = min(batch_start + timedelta(days=days), window.end)
        features = warehouse.query(
            f"select * from {FEATURES} where as_of_date >= ? and as_of_date < ? "
            "order by as_of_date, account_id",
            [batch_start, batch_end],
        )
        rows = prediction_rows(model, features)
        history_rows = warehouse.replace_dates(CHURN_PREDICTIONS_HISTORY, rows, batch_start, batch_end)
        scored += len(rows)
    context.log.info(f"churn model {version} scored {scored:,} account-days of {window}")
    yield dg.MaterializeResult(
        asset_key=["marts", "churn_predictions_history"],
        metadata={
            "dagster/row_count": history_rows,
            "rows_written": scored,
            "window": str(window),
            "model_version": version,
        },
    )
    if not window.reaches_latest:
        context.log.info("the run ends before the latest day: marts.churn_predictions left as it was")
        yield dg.MaterializeResult(asset_key=["marts", "churn_predictions"], metadata={"unchanged": True})
        return
    latest = warehouse.query(
        f"select * from {FEATURES} where as_of_date = (select max(as_of_date) from {FEATURES}) "
        "order by account_id"
    )
    today = prediction_rows(model, latest)
    labels = warehouse.query("select measure, label, unit from seeds.measure_labels")
    today["drivers"] = driver_words(model, latest, labels)
    today["held_down_by"] = driver_words(model, latest, labels, lowering=True)
    current_rows = warehouse.write_table(CHURN_PREDICTIONS, today)
    yield dg.MaterializeResult(
        asset_key=["marts", "churn_predictions"],
        metadata={
            "dagster/row_count": current_rows,
            "as_of_date": str(today["as_of_date"].max()) if len(today) else "none",
            "model_version": version,
            "mean_churn_likelihood": float(today["churn_likelihood"].mean()) if len(today) else 0.0,
            "preview": dg.MetadataValue.md(
                today.nlargest(5, "churn_likelihood")[
                    ["account_id", "segment", "churn_likelihood", "drivers"]
                ].to_markdown(index=False)
            ),
        },
    )


def _previous_model(context: dg.AssetExecutionContext, warehouse: Warehouse) -> ChurnModel | None:
    """The model the last run trained, to keep if nothing new was labelled since; None if there is none
    or it cannot be read (then the run trains a new one)."""
    if not warehouse.columns(CHURN_MODEL_METRICS.name):
        return None
    try:
        return _latest_model(warehouse)[0]
    except (RuntimeError, FileNotFoundError, ModelFormatError) as error:
        context.log.info(f"no previous churn model to keep ({error}): training one")
        return None


def _latest_model(warehouse: Warehouse) -> tuple[ChurnModel, str]:
    row = warehouse.query(
        "select model_version, artifact from marts.churn_model_metrics order by trained_at desc limit 1"
    )
    if row.empty:
        raise RuntimeError(
            "marts.churn_model_metrics has no trained model: materialise marts/churn_model_metrics first."
        )
    version, artifact = row.iloc[0]
    try:
        return ChurnModel.load(artifact), version
    except FileNotFoundError:
        raise FileNotFoundError(
            f"the churn model {version} is recorded in marts.churn_model_metrics but its file {artifact} "
            "is gone: "
            "re-materialise marts/churn_model_metrics to train and save it again."
        ) from None


def days_per_batch(rows: int, days: int) -> int:
    """How many days of ``days`` holding ``rows`` account-days to score at once: about `ROWS_PER_BATCH`
    rows, and never less than a month (the default demo's 1,000 accounts: about 250 days; large's 100,000:
    31 days, 3.1M rows)."""
    if rows <= 0 or days <= 0:
        return MIN_DAYS_PER_BATCH
    return max(MIN_DAYS_PER_BATCH, ROWS_PER_BATCH * days // rows)


def _batch_starts(start: date, end: date, days: int) -> list[date]:
    return [start + timedelta(days=offset) for offset in range(0, (end - start).days, days)]
