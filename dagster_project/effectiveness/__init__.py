"""Does the score foresee churn: recalibrated scorecard weights and how to adopt them."""

from dagster_project.effectiveness.weights import (
    CAP,
    FIT_SETTINGS,
    Scorecard,
    churn_auc,
    fit_weights,
    health_scores,
    recommend,
    recommend_weights,
)

__all__ = [
    "CAP",
    "FIT_SETTINGS",
    "Scorecard",
    "churn_auc",
    "fit_weights",
    "health_scores",
    "recommend",
    "recommend_weights",
]
