"""From a trained churn model and the feature table to prediction rows and drivers in words."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from dagster_project.churn import ChurnModel, Driver
from dagster_project.defs.churn.tables import CHURN_PREDICTIONS_HISTORY
from dagster_project.defs.churn.training import feature_frame


def prediction_rows(model: ChurnModel, features: pd.DataFrame) -> pd.DataFrame:
    """One history row per feature row: likelihood, its segment's average that day and the ratio."""
    if features.empty:  # a day before the data starts: nothing to score
        return pd.DataFrame(columns=CHURN_PREDICTIONS_HISTORY.column_names)
    likelihood = model.predict_proba(feature_frame(features), groups=features["segment"])
    rows = features[["as_of_date", "account_id", "segment"]].copy()
    rows["churn_likelihood"] = likelihood
    rows["segment_churn_likelihood"] = rows.groupby(["as_of_date", "segment"], dropna=False)[
        "churn_likelihood"
    ].transform("mean")
    average = rows["segment_churn_likelihood"]
    rows["likelihood_to_segment"] = np.where(
        average > 0, rows["churn_likelihood"] / average.where(average > 0), np.nan
    )
    rows["model_version"] = model.version
    return rows


def driver_words(
    model: ChurnModel, features: pd.DataFrame, labels: pd.DataFrame, top: int = 3, lowering: bool = False
) -> list[str]:
    """For each row, its top drivers as CSMs read them, joined by '; ' (empty for the fallback model);
    with ``lowering``, the features holding its likelihood down instead.

    ``labels`` is the measure_labels seed (``measure``, ``label``, ``unit``);
    a feature without a label is shown by its column name.
    """
    known = {row.measure: (row.label, row.unit) for row in labels.itertuples()}
    words = []
    # A few more than needed: a driver whose value and average read the same is left out.
    for drivers in model.explain(feature_frame(features), top + 2, lowering=lowering):
        named = [(d, *known.get(d.feature, (d.feature, "number"))) for d in drivers]
        shown = [describe_driver(d, label, unit) for d, label, unit in named if not reads_as_average(d, unit)]
        words.append("; ".join(shown[:top]))
    return words


def reads_as_average(driver: Driver, unit: str) -> bool:
    """Whether the value and the average print as the same number ('0 vs 0.0 on average' says nothing)."""
    if driver.value is None:
        return False
    return float(format_value(driver.value, unit).rstrip("%")) == float(
        format_value(driver.average, unit).rstrip("%")
    )


def describe_driver(driver: Driver, label: str, unit: str) -> str:
    """'low active users (30 days): 2 vs 8.4 on average', or 'no value for NPS' when it is missing."""
    if driver.value is None:
        return f"no value for {label}"
    side = "high" if driver.is_high else "low"
    value, average = format_value(driver.value, unit), format_value(driver.average, unit)
    return f"{side} {label}: {value} vs {average} on average"


def format_value(value: float, unit: str) -> str:
    """A number as CSMs read it, the same way as dbt's format_measure macro: shares as percentages,
    ratios with two decimals, whole numbers without decimals, others with one."""
    if unit == "share":
        return f"{value * 100:.0f}%"
    if unit == "ratio":
        return f"{value:.2f}"
    if value == math.floor(value):
        return f"{value:.0f}"
    # + 0.0 turns a negative zero after rounding (-0.04 -> -0.0) into 0.0.
    return f"{round(value, 1) + 0.0:.1f}"
