"""From the dbt training snapshots to the churn model's inputs, and from a trained model to a table row."""

from __future__ import annotations

import pandas as pd

from dagster_project.churn import CANDIDATES, ChurnModel, check_point_in_time, walk_forward
from dagster_project.defs.churn.tables import CHURN_BACKTEST, CHURN_WALK_FORWARD

LABEL = "churned_within_horizon"
# Columns of the snapshot and feature tables that identify or describe a row but are not features.
NOT_FEATURES = (
    "account_id",
    "as_of_date",
    "segment",
    "lifecycle_stage",
    "features_as_of",
    "horizon_days",
    "label_known_on",
    "revenue_ended_on",
    LABEL,
)


def feature_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """The numeric features of snapshot or feature-table rows (every column that is not an identifier)."""
    return rows.drop(columns=[c for c in NOT_FEATURES if c in rows]).astype("float64")


def training_inputs(snapshots: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series, pd.Series, pd.Series]:
    """Features, label, snapshot dates and segments (the fallback's groups) of the snapshot table.

    Refuses (`LeakageError`) snapshots whose features are dated after the snapshot.
    """
    if "features_as_of" in snapshots:
        check_point_in_time(snapshots["as_of_date"], snapshots["features_as_of"], ids=snapshots["account_id"])
    return (
        feature_frame(snapshots),
        snapshots[LABEL].astype("int64"),
        snapshots["as_of_date"],
        snapshots["segment"],
    )


def backtest_rows(model: ChurnModel, snapshots: pd.DataFrame) -> pd.DataFrame:
    """The validation window's snapshots with the likelihood behind the model's metrics (churn_backtest).

    ``snapshots`` is the frame the model was fitted on: its index is the one ``validation_likelihood`` uses.
    """
    likelihood = model.validation_likelihood
    if likelihood is None or likelihood.empty:
        return pd.DataFrame(columns=CHURN_BACKTEST.column_names)
    rows = snapshots.loc[likelihood.index, ["account_id", "as_of_date", "segment", "health_score", LABEL]]
    return rows.assign(churn_likelihood=likelihood, model_version=model.version)[CHURN_BACKTEST.column_names]


def walk_forward_rows(snapshots: pd.DataFrame, kind: str) -> pd.DataFrame:
    """marts.churn_walk_forward: each snapshot day scored by a model of ``kind`` trained on the snapshots
    whose outcome was known before it; none for the fallback, which has no kind to train."""
    if kind not in CANDIDATES or snapshots.empty:
        return pd.DataFrame(columns=CHURN_WALK_FORWARD.column_names)
    features, label, dates, _ = training_inputs(snapshots)
    scored = walk_forward(features, label, dates, snapshots["label_known_on"], kind)
    rows = snapshots.loc[
        scored.likelihood.index, ["account_id", "as_of_date", "segment", "health_score", LABEL]
    ]
    return rows.assign(
        churn_likelihood=scored.likelihood,
        trained_on_snapshots=scored.trained_on.astype("int64"),
        labels_known_by=pd.to_datetime(scored.labels_known_by).dt.date,
        model_kind=kind,
    )[CHURN_WALK_FORWARD.column_names]


def metrics_row(model: ChurnModel, artifact: str, trained_on: int, horizon_days: int | None) -> pd.DataFrame:
    """One row of marts.churn_model_metrics: which model, when, on what, and how well it validated."""
    metrics = model.metrics.as_dict()
    trained_at = pd.Timestamp(model.trained_at)
    row = {
        "model_version": model.version,
        "model_kind": model.kind,
        "trained_at": trained_at.tz_convert(None) if trained_at.tzinfo else trained_at,
        "training_snapshots": trained_on,
        "horizon_days": horizon_days,
        "validation_from": min(model.validation_dates).date() if model.validation_dates else None,
        **{f"validation_{name}": value for name, value in metrics.items()},
        "warnings": "; ".join(model.warnings),
        "artifact": artifact,
    }
    return pd.DataFrame([row])
