"""The walk-forward: each snapshot day scored by a model that learnt only from outcomes known before it."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from dagster_project.churn import walk_forward
from dagster_project.defs.churn.training import training_inputs
from tests.test_churn_asset import snapshot_table


def test_each_day_learns_from_the_outcomes_known_before_it_at_most_max_training_rows():
    # Month k is 31 k days in and its outcome is known 120 days later: day k may learn from months 0 to k - 4.
    snapshots = snapshot_table(np.random.default_rng(5), accounts=300, months=8)
    features, label, dates, _ = training_inputs(snapshots)
    scored = walk_forward(
        features, label, dates, snapshots["label_known_on"], "logistic_regression", max_training_rows=500
    )
    days = pd.to_datetime(dates[scored.likelihood.index])
    first = date(2025, 1, 1)
    assert sorted({d.date() for d in days}) == [first + timedelta(days=31 * k) for k in (4, 5, 6, 7)]
    trained_on = scored.trained_on.groupby(days).max()
    assert trained_on.tolist() == [300, 500, 500, 500]  # 300, then 600, 900 and 1,200 known, capped at 500
    assert (pd.to_datetime(scored.labels_known_by) < days).all()
    assert scored.likelihood.between(0, 1).all()


def test_a_day_without_enough_known_outcomes_is_not_scored_and_the_fallback_has_no_kind():
    snapshots = snapshot_table(np.random.default_rng(5), accounts=30, months=5)
    features, label, dates, _ = training_inputs(snapshots)
    scored = walk_forward(features, label, dates, snapshots["label_known_on"], "gradient_boosting")
    assert scored.likelihood.empty  # month 4 could learn from month 0's 30 snapshots: too few churned
    with pytest.raises(ValueError, match="kind must be one of"):
        walk_forward(features, label, dates, snapshots["label_known_on"], "segment_prior")


def test_a_feature_with_a_single_value_so_far_does_not_stop_gradient_boosting():
    """The calibration's folds split a day's training rows: a feature known for one of them leaves a fold
    with no value at all, which gradient boosting cannot bin (the medium benchmark failed so)."""
    snapshots = snapshot_table(np.random.default_rng(5), accounts=300, months=6)
    features, label, dates, _ = training_inputs(snapshots)
    features = features.assign(new_measure=np.nan)
    features.loc[features.index[0], "new_measure"] = 3.0
    scored = walk_forward(features, label, dates, snapshots["label_known_on"], "gradient_boosting")
    assert not scored.likelihood.empty and scored.likelihood.between(0, 1).all()
