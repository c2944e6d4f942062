"""Churn likelihood: a generic model API (train, predict, explain, evaluate) that knows nothing of Dagster.

See `dagster_project.churn.model` for how the model is fitted and when it falls
back to segment churn rates, `dagster_project.churn.metrics` for how the
metrics are defined, and `dagster_project.churn.walk_forward` for the
likelihood each past snapshot could have had on its day.
"""

from dagster_project.churn.inputs import ChurnInputError
from dagster_project.churn.leakage import LeakageError, check_point_in_time
from dagster_project.churn.metrics import CalibrationBin, ChurnMetrics, evaluate
from dagster_project.churn.model import (
    CANDIDATES,
    FORMAT_VERSION,
    ChurnModel,
    Driver,
    ModelFormatError,
    fit_churn_model,
)
from dagster_project.churn.walk_forward import WalkForward, walk_forward

__all__ = [
    "CANDIDATES",
    "FORMAT_VERSION",
    "CalibrationBin",
    "ChurnInputError",
    "ChurnMetrics",
    "ChurnModel",
    "Driver",
    "LeakageError",
    "ModelFormatError",
    "WalkForward",
    "check_point_in_time",
    "evaluate",
    "fit_churn_model",
    "walk_forward",
]
