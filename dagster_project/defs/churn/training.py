"""From the dbt training snapshots to the churn model's inputs, and from a trained model to a table row."""

from __future__ import annotations

import pandas as pd

from dagster_project.churn import ChurnModel

LABEL = "churned_within_horizon"
# Columns of int_churn_snapshots that identify or describe a snapshot but are not features.
NOT_FEATURES = ("account_id", "snapshot_date", "segment", "lifecycle_stage", "revenue_ended_on", LABEL)


def training_inputs(snapshots: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series, pd.Series, pd.Series]:
    """Features, label, snapshot dates and segments (the fallback's groups) of the snapshot table."""
    features = snapshots.drop(columns=[c for c in NOT_FEATURES if c in snapshots]).astype("float64")
    return features, snapshots[LABEL].astype("int64"), snapshots["snapshot_date"], snapshots["segment"]


def metrics_row(model: ChurnModel, artifact: str, trained_on: int) -> pd.DataFrame:
    """One row of marts.churn_model_metrics: which model, when, on what, and how well it validated."""
    metrics = model.metrics.as_dict()
    trained_at = pd.Timestamp(model.trained_at)
    row = {
        "model_version": model.version,
        "model_kind": model.kind,
        "trained_at": trained_at.tz_convert(None) if trained_at.tzinfo else trained_at,
        "training_snapshots": trained_on,
        "validation_from": min(model.validation_dates) if model.validation_dates else None,
        **{f"validation_{name}": value for name, value in metrics.items()},
        "warnings": "; ".join(model.warnings),
        "artifact": artifact,
    }
    return pd.DataFrame([row])
