"""Churn likelihood: a generic model API (train, predict, explain, evaluate) that knows nothing of Dagster.

See `dagster_project.churn.model` for how the model is fitted and when it falls
back to segment churn rates, and `dagster_project.churn.metrics` for how the
metrics are defined.
"""

from dagster_project.churn.inputs import ChurnInputError
from dagster_project.churn.leakage import LeakageError, check_point_in_time
from dagster_project.churn.metrics import CalibrationBin, ChurnMetrics, evaluate
from dagster_project.churn.model import (
    FORMAT_VERSION,
    ChurnModel,
    Driver,
    ModelFormatError,
    fit_churn_model,
)

__all__ = [
    "FORMAT_VERSION",
    "CalibrationBin",
    "ChurnInputError",
    "ChurnMetrics",
    "ChurnModel",
    "Driver",
    "LeakageError",
    "ModelFormatError",
    "check_point_in_time",
    "evaluate",
    "fit_churn_model",
]
