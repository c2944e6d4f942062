"""ROC curves of the backtest: how well a score ranks the accounts that churned above those that stayed."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score, roc_curve

# The scores compared, with the sign that makes a higher value mean "more likely to churn":
# a low health score is the warning, so it ranks churn by its negative.
SCORES = {
    "churn likelihood": ("churn_likelihood", 1.0),
    "health score (low = risk)": ("health_score", -1.0),
}


@dataclass(frozen=True)
class RocCurve:
    """One score's curve: false and true positive rates at each threshold, and the area under it."""

    name: str
    false_positive_rate: np.ndarray
    true_positive_rate: np.ndarray
    auc: float


def has_both_outcomes(backtest: pd.DataFrame) -> bool:
    """A ROC curve needs churned and retained accounts; one class alone has no ranking to judge."""
    return backtest["churned_within_horizon"].nunique() == 2


def roc_curves(backtest: pd.DataFrame) -> list[RocCurve]:
    """The curve of every score in `SCORES` over ``backtest`` (one row per account snapshot).

    ``backtest`` has ``churned_within_horizon`` (0/1) and the score columns; it
    must hold both outcomes (see `has_both_outcomes`).
    """
    churned = backtest["churned_within_horizon"].astype(int).to_numpy()
    curves = []
    for name, (column, sign) in SCORES.items():
        score = sign * backtest[column].astype(float).to_numpy()
        false_positive_rate, true_positive_rate, _ = roc_curve(churned, score)
        curves.append(
            RocCurve(
                name=name,
                false_positive_rate=false_positive_rate,
                true_positive_rate=true_positive_rate,
                auc=float(roc_auc_score(churned, score)),
            )
        )
    return curves
