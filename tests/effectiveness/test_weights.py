"""Scorecard recalibration: scores as dbt computes them, the fit's constraints, when a set is recommended."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dagster_project.effectiveness.weights import (
    MIN_OUTCOMES,
    churn_auc,
    fit_weights,
    health_scores,
    recommend_weights,
    round_weights,
)

NAN = np.nan


def test_scores_share_missing_weight_cap_round_and_override() -> None:
    points = np.array([[100.0, 0.0], [80.0, NAN], [12.345, 12.345], [10.0, 10.0]])
    weights = np.array([0.75, 0.25])
    cap = np.array([NAN, 30.0, NAN, NAN])
    override = np.array([NAN, NAN, NAN, 55.0])
    # 0.75 x 100 + 0.25 x 0 = 75; the missing measure's weight goes to the other (80), capped at 30;
    # 12.345 rounds half up to 12.35 as dbt's decimal cast does; the override replaces 10.
    assert health_scores(points, weights, cap, override).tolist() == [75.0, 30.0, 12.35, 55.0]


def test_a_cap_applies_even_without_any_measure_value() -> None:
    score = health_scores(np.array([[NAN]]), np.array([1.0]), np.array([49.0]), np.array([NAN]))
    assert score.tolist() == [49.0]


def test_auc_ranks_low_scores_as_risky_and_counts_ties_half() -> None:
    # Churners 20 and 30, non-churners 30 and 50: three pairs ranked right, one tie -> 3.5 / 4.
    assert churn_auc(np.array([1, 0, 1, 0]), np.array([20.0, 30.0, 30.0, 50.0])) == 0.875
    assert churn_auc(np.array([0, 0]), np.array([20.0, 30.0])) is None


def test_rounded_weights_sum_to_exactly_one() -> None:
    assert round_weights(np.array([1.0, 1.0, 1.0])).tolist() == [0.34, 0.33, 0.33]
    assert round_weights(np.array([3.0, 1.0])).tolist() == [0.75, 0.25]
    assert round_weights(np.array([0.0, 0.0])).tolist() == [0.0, 0.0]


def test_fit_gives_weight_to_what_foresees_churn_and_none_against_the_score() -> None:
    rng = np.random.default_rng(3)
    n = 4000
    telling = rng.uniform(0, 100, n)  # low points -> churn
    noise = rng.uniform(0, 100, n)
    backwards = rng.uniform(0, 100, n)  # high points -> churn: the score cannot use it
    logit = -1.0 - 0.06 * (telling - 50) + 0.03 * (backwards - 50)
    churned = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype("int64")
    weights = fit_weights(np.column_stack([telling, noise, backwards]), churned)
    assert weights.sum() == pytest.approx(1.0)
    assert weights[2] == 0.0
    assert weights[0] > 0.8
    assert (weights >= 0).all()


def _rows(scorecard: str, points: dict[str, np.ndarray], weights: dict[str, float], churned: np.ndarray):
    """Long rows of one scorecard (one per snapshot and measure) plus a cap measure that never holds."""
    rows = []
    for i, outcome in enumerate(churned):
        for measure, values in points.items():
            rows.append(
                {
                    "scorecard_id": scorecard,
                    "account_id": f"{scorecard}-{i}",
                    "as_of_date": pd.Timestamp("2026-01-01"),
                    "measure": measure,
                    "category": "engagement",
                    "weight": weights[measure],
                    "method": "percentile",
                    "points": values[i],
                    "is_cap_holding": False,
                    "cap_score": None,
                    "override_score": None,
                    "churned": int(outcome),
                }
            )
        rows.append(
            {
                **rows[-1],
                "measure": "days_past_due",
                "category": "value",
                "weight": 0.0,
                "method": "cap",
                "points": None,
                "cap_score": 49.0,
            }
        )
    return rows


def test_recommends_a_better_set_and_keeps_a_scorecard_with_too_few_churners() -> None:
    rng = np.random.default_rng(5)
    n = 600
    telling = rng.uniform(0, 100, n)
    noise = rng.uniform(0, 100, n)
    churned = (rng.uniform(size=n) < 1 / (1 + np.exp(2 + 0.08 * (telling - 50)))).astype("int64")
    # The current weights favour the noise: the fit should move them to the telling measure.
    good = _rows("default", {"telling": telling, "noise": noise}, {"telling": 0.2, "noise": 0.8}, churned)
    few = _rows(
        "onboarding",
        {"telling": np.full(30, 50.0), "noise": np.full(30, 50.0)},
        {"telling": 0.5, "noise": 0.5},
        np.array([1] * 3 + [0] * 27),
    )
    table = recommend_weights(pd.DataFrame(good + few))

    default = table[table["scorecard_id"] == "default"].set_index("measure")
    assert default.loc["telling", "status"] == "recommended"
    assert default["recommended_weight"].sum() == pytest.approx(1.0)
    assert default.loc["telling", "recommended_weight"] > default.loc["noise", "recommended_weight"]
    assert default.loc["days_past_due", "recommended_weight"] == 0.0
    assert default.loc["telling", "recommended_auc"] > default.loc["telling", "current_auc"]
    assert default.loc["telling", "all_recommended_auc"] >= default.loc["telling", "all_current_auc"] + 0.001
    assert default.loc["telling", "snapshots"] == n
    assert default.loc["telling", "churned"] == churned.sum()

    onboarding = table[table["scorecard_id"] == "onboarding"].set_index("measure")
    assert onboarding["status"].iloc[0] == (
        f"keep current: 3 churned and 27 not-churned snapshots (need {MIN_OUTCOMES} of each)"
    )
    assert (onboarding["recommended_weight"] == onboarding["current_weight"]).all()


def test_keeps_current_weights_when_the_fit_would_not_raise_the_auc() -> None:
    rng = np.random.default_rng(8)
    n = 400
    telling = rng.uniform(0, 100, n)
    churned = (rng.uniform(size=n) < 1 / (1 + np.exp(2 + 0.08 * (telling - 50)))).astype("int64")
    # Already all weight on the only telling measure: nothing to gain.
    rows = _rows(
        "default",
        {"telling": telling, "noise": rng.uniform(0, 100, n)},
        {"telling": 1.0, "noise": 0.0},
        churned,
    )
    table = recommend_weights(pd.DataFrame(rows)).set_index("measure")
    assert table.loc["telling", "status"].startswith("keep current: the fitted weights would not raise")
    assert (table["recommended_weight"] == table["current_weight"]).all()
    assert table.loc["telling", "all_recommended_auc"] == table.loc["telling", "all_current_auc"]
