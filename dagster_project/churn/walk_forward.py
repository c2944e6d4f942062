"""The churn likelihood as it could have been known on each past snapshot day (a walk-forward backtest).

The model's own time split validates one model on its latest snapshots, and
trains on snapshots whose outcome was still unfolding on the validation day.
To say what a list ordered by the likelihood would have caught on every past
snapshot, each snapshot day is scored by a model of the same kind trained only
on the snapshots whose outcome was known before that day: nothing it learnt
from was in its future. Days with fewer than ``min_train_positives`` known
churned (or not churned) snapshots are not scored. A day's model learns from at
most ``max_training_rows`` of them, drawn at random (seeded): a model per
snapshot day must not cost a large book a model's training per day.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dagster_project.churn.inputs import as_frame, as_series, binary_label, learn_encoding
from dagster_project.churn.model import (
    CANDIDATES,
    MIN_TRAIN_POSITIVES,
    ModelKind,
    _estimator,
    _matrix,
    _single_threaded,
    too_sparse,
)

# Enough for a stable model; bounds a day's training on a large book (100,000 accounts: 1.2M snapshots).
MAX_TRAINING_ROWS = 200_000


@dataclass(frozen=True)
class WalkForward:
    """For each scored snapshot row (the features' index): the likelihood, how many snapshots its model
    learnt from, and the last day on which an outcome it learnt from became known."""

    likelihood: pd.Series
    trained_on: pd.Series
    labels_known_by: pd.Series


def walk_forward(
    features,
    label,
    snapshot_dates,
    label_known_on,
    kind: ModelKind,
    *,
    positive_label=None,
    random_state: int = 0,
    min_train_positives: int = MIN_TRAIN_POSITIVES,
    max_training_rows: int = MAX_TRAINING_ROWS,
) -> WalkForward:
    """Score each snapshot day with a model of ``kind`` trained on the snapshots whose outcome was known
    (``label_known_on``) before that day; the inputs are those of ``fit_churn_model``."""
    if kind not in CANDIDATES:
        raise ValueError(f"kind must be one of {', '.join(CANDIDATES)}, got {kind!r}")
    features = as_frame(features)
    y = binary_label(as_series(label, features.index, "label"), positive_label)
    dates = pd.to_datetime(as_series(snapshot_dates, features.index, "snapshot_dates"))
    known = pd.to_datetime(as_series(label_known_on, features.index, "label_known_on"))
    scored = []
    rng = np.random.default_rng(random_state)
    for day in sorted(dates.unique()):
        train = (known < day).to_numpy()
        churned = int(y[train].sum())
        if min(churned, int(train.sum()) - churned) < max(min_train_positives, 1):
            continue
        if train.sum() > max_training_rows:
            keep = rng.choice(np.flatnonzero(train), size=max_training_rows, replace=False)
            train = np.zeros_like(train)
            train[keep] = True
        test = (dates == day).to_numpy()
        encoding = learn_encoding(features[train])
        x = _matrix(encoding.transform(features), encoding.names()).copy()
        # As in fit_churn_model: a column with too few values to learn from is a constant, never used.
        x[:, too_sparse(x[train])] = 0.0
        with _single_threaded():
            model = _estimator(kind, random_state).fit(x[train], y[train])
        index = features.index[test]
        scored.append(
            pd.DataFrame(
                {
                    "likelihood": model.predict_proba(x[test])[:, 1],
                    "trained_on": int(train.sum()),
                    "labels_known_by": known[train].max(),
                },
                index=index,
            )
        )
    frame = (
        pd.concat(scored) if scored else pd.DataFrame(columns=["likelihood", "trained_on", "labels_known_by"])
    )
    return WalkForward(frame["likelihood"], frame["trained_on"], frame["labels_known_by"])
