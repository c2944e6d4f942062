"""Does the score foresee churn: recalibrated scorecard weights and how to adopt them."""

from dagster_project.effectiveness.weights import (
    churn_auc,
    fit_weights,
    health_scores,
    inputs_fingerprint,
    recommend_weights,
)

__all__ = ["churn_auc", "fit_weights", "health_scores", "inputs_fingerprint", "recommend_weights"]
