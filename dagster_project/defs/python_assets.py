"""The assets after dbt, in Python, and the published tables they write (each with its contract)."""

from dagster_project.defs.churn.assets import churn_model_metrics, churn_predictions
from dagster_project.defs.churn.tables import (
    CHURN_BACKTEST,
    CHURN_MODEL_METRICS,
    CHURN_PREDICTIONS,
    CHURN_PREDICTIONS_HISTORY,
    CHURN_WALK_FORWARD,
)
from dagster_project.defs.effectiveness.assets import recommended_weights
from dagster_project.defs.effectiveness.tables import RECOMMENDED_WEIGHTS
from dagster_project.defs.worklist.assets import customer_signals, prioritized_accounts
from dagster_project.defs.worklist.effectiveness import worklist_effectiveness
from dagster_project.defs.worklist.tables import (
    CUSTOMER_SIGNALS,
    CUSTOMER_SIGNALS_HISTORY,
    PRIORITIZED_ACCOUNTS,
    WORKLIST_EFFECTIVENESS,
)

# Train and score the churn model, then the signals and the worklist; recalibrate the scorecards.
PYTHON_ASSETS = [
    churn_model_metrics,
    churn_predictions,
    customer_signals,
    prioritized_accounts,
    worklist_effectiveness,
    recommended_weights,
]
PYTHON_TABLES = (
    CHURN_BACKTEST,
    CHURN_MODEL_METRICS,
    CHURN_PREDICTIONS,
    CHURN_PREDICTIONS_HISTORY,
    CHURN_WALK_FORWARD,
    CUSTOMER_SIGNALS,
    CUSTOMER_SIGNALS_HISTORY,
    PRIORITIZED_ACCOUNTS,
    RECOMMENDED_WEIGHTS,
    WORKLIST_EFFECTIVENESS,
)
