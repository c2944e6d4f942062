"""Evaluation of churn probabilities against 0/1 labels: ranking, calibration and the top decile.

`evaluate(label, probability)` returns a `ChurnMetrics`. Every metric that a
sample cannot support is ``None`` rather than a made-up number: AUC and
average precision need both classes, everything needs at least one row.

Rules worth knowing when reading the numbers:

- **Top decile**: the ``k = ceil(n / 10)`` highest probabilities. Rows tied
  with the k-th probability share the remaining slots pro rata, so the result
  does not depend on row order: with one slot left and three tied rows of
  which one churned, the top decile counts 1/3 of a churner. Precision is
  churners in the top decile / k; recall is churners in the top decile / all
  churners.
- **Calibration table**: ten equal-width probability bins ``[0, 0.1)``,
  ``[0.1, 0.2)`` ... ``[0.9, 1.0]`` (1.0 falls in the last bin). Only bins that
  hold rows are listed, each with its row count, mean predicted probability
  and observed churn rate.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

CALIBRATION_BINS = 10


@dataclass(frozen=True)
class CalibrationBin:
    """One equal-width probability bin: ``bin`` 0 covers [0, 0.1), 9 covers [0.9, 1.0]."""

    bin: int
    lower: float
    upper: float
    n: int
    mean_predicted: float
    observed_rate: float


@dataclass(frozen=True)
class ChurnMetrics:
    """How well probabilities rank and match the observed churn of one sample (e.g. a validation window).

    Fields are ``None`` where the sample cannot support them (no rows, or a
    single class for ``auc`` and ``average_precision``).
    """

    n: int
    positives: int
    base_rate: float | None
    auc: float | None
    average_precision: float | None
    brier: float | None
    top_decile_n: int
    top_decile_precision: float | None
    top_decile_recall: float | None
    calibration: tuple[CalibrationBin, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """Flat scalars for logging or a table row; the calibration table is a JSON string."""
        row = {name: value for name, value in asdict(self).items() if name != "calibration"}
        row["calibration"] = json.dumps([asdict(b) for b in self.calibration])
        return row

    def calibration_frame(self) -> pd.DataFrame:
        """The calibration table as a frame, one row per non-empty bin."""
        columns = ["bin", "lower", "upper", "n", "mean_predicted", "observed_rate"]
        return pd.DataFrame([asdict(b) for b in self.calibration], columns=columns)


def evaluate(label: pd.Series | np.ndarray, probability: pd.Series | np.ndarray) -> ChurnMetrics:
    """Score churn probabilities against 0/1 labels (aligned by position).

    >>> m = evaluate([1, 0, 1, 0], [0.9, 0.8, 0.3, 0.1])
    >>> m.auc, round(m.brier, 4)
    (0.75, 0.2875)
    """
    y = _as_labels(label)
    p = np.asarray(probability, dtype="float64")
    if y.shape != p.shape:
        raise ValueError(f"label has {y.size} values but probability has {p.size}")
    if np.isnan(p).any() or (p < 0).any() or (p > 1).any():
        raise ValueError("probabilities must lie in [0, 1] and not be missing")

    n = int(y.size)
    positives = int(y.sum())
    if n == 0:
        return ChurnMetrics(0, 0, None, None, None, None, 0, None, None, ())

    both_classes = 0 < positives < n
    top_n, top_precision, top_recall = _top_decile(y, p)
    return ChurnMetrics(
        n=n,
        positives=positives,
        base_rate=positives / n,
        auc=float(roc_auc_score(y, p)) if both_classes else None,
        average_precision=float(average_precision_score(y, p)) if both_classes else None,
        brier=float(brier_score_loss(y, p, labels=[0, 1])),
        top_decile_n=top_n,
        top_decile_precision=top_precision,
        top_decile_recall=top_recall,
        calibration=_calibration_table(y, p),
    )


def _as_labels(label: pd.Series | np.ndarray) -> np.ndarray:
    values = pd.Series(label)
    if values.isna().any():
        raise ValueError("label has missing values; drop unlabelled rows first")
    y = values.to_numpy(dtype="float64")
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("label must be 0/1 (or boolean)")
    return y.astype("int64")


def _top_decile(y: np.ndarray, p: np.ndarray) -> tuple[int, float, float | None]:
    k = math.ceil(y.size / 10)
    cutoff = np.sort(p)[::-1][k - 1]
    above = p > cutoff
    tied = p == cutoff
    # Ties at the cut-off share the remaining slots so that row order cannot change the result.
    slots = k - int(above.sum())
    churners = float(y[above].sum()) + slots * float(y[tied].mean())
    positives = int(y.sum())
    return k, churners / k, (churners / positives if positives else None)


def _calibration_table(y: np.ndarray, p: np.ndarray) -> tuple[CalibrationBin, ...]:
    index = np.minimum((p * CALIBRATION_BINS).astype("int64"), CALIBRATION_BINS - 1)
    table = []
    for b in np.unique(index):
        in_bin = index == b
        table.append(
            CalibrationBin(
                bin=int(b),
                lower=b / CALIBRATION_BINS,
                upper=(b + 1) / CALIBRATION_BINS,
                n=int(in_bin.sum()),
                mean_predicted=float(p[in_bin].mean()),
                observed_rate=float(y[in_bin].mean()),
            )
        )
    return tuple(table)
