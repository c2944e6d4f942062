"""Does the score foresee churn: recalibrated scorecard weights and how to adopt them."""

from dagster_project.effectiveness.weights import (
    FIT_SETTINGS,
    churn_auc,
    fit_weights,
    health_scores,
    recommend_weights,
)

__all__ = ["FIT_SETTINGS", "churn_auc", "fit_weights", "health_scores", "recommend_weights"]
