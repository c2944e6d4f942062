"""The churn model takes a customer table as users have it: text and categories, labels in any two
values, numpy arrays; it refuses what it cannot use, saying what to do; it reports and chooses among its
candidates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dagster_project.churn import fit_churn_model
from dagster_project.churn import model as churn_model
from dagster_project.churn.inputs import ChurnInputError

DATES = pd.date_range("2025-01-01", periods=6, freq="MS")


def customers(n_accounts: int = 300, seed: int = 0) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """Monthly snapshots: the plan (text) and seats (a number) drive churn; basic churns most, pro least,
    and 'legacy' (rare) like basic. Returns features, a 0/1 label and the snapshot dates."""
    rng = np.random.default_rng(seed)
    n = n_accounts * len(DATES)
    plan = rng.choice(["basic", "team", "pro", "legacy"], size=n, p=[0.4, 0.3, 0.28, 0.02])
    seats = rng.normal(size=n)
    base = pd.Series(plan).map({"basic": -0.5, "team": -2.0, "pro": -3.5, "legacy": -0.5}).to_numpy()
    probability = 1 / (1 + np.exp(-(base - 0.8 * seats)))
    label = pd.Series((rng.random(n) < probability).astype(int))
    features = pd.DataFrame({"plan": plan, "seats": seats, "is_annual": rng.random(n) < 0.3})
    return features, label, pd.Series(np.repeat(DATES, n_accounts))


@pytest.fixture(scope="module")
def plan_model():
    features, label, dates = customers()
    return fit_churn_model(features, label, dates), features, label, dates


def test_text_columns_are_encoded_inside_the_model_and_remembered(plan_model):
    model, features, _, _ = plan_model
    assert "plan=basic" in model.feature_names and "plan=(other)" in model.feature_names
    assert "is_annual" in model.feature_names
    assert model.metrics.auc > 0.7
    # The same seats on each plan: basic is riskier than team, team than pro.
    rows = pd.DataFrame({"plan": ["basic", "team", "pro"], "seats": [0.0] * 3, "is_annual": [False] * 3})
    basic, team, pro = model.predict_proba(rows)
    assert basic > team > pro
    # A plan never seen and a missing one still score, as the rare ('other') and as no plan at all.
    unseen = pd.DataFrame({"plan": ["enterprise", None], "seats": [0.0, 0.0], "is_annual": [False, False]})
    assert np.isfinite(model.predict_proba(unseen)).all()
    assert model.explain(rows)[0]  # the drivers read the encoded columns too


@pytest.mark.parametrize(
    ("label", "positive"),
    [
        (lambda y: y.astype(bool), None),
        (lambda y: y.map({1: "churned", 0: "active"}), "churned"),
        (lambda y: y.map({1: 2, 0: 1}), 2),
    ],
)
def test_labels_in_any_two_values_give_the_model_of_the_0_1_label(plan_model, label, positive):
    model, features, y, dates = plan_model
    same = fit_churn_model(features, label(y), dates, positive_label=positive)
    assert same.version == model.version
    assert same.predict_proba(features.head(5)) == pytest.approx(model.predict_proba(features.head(5)))


def test_numpy_arrays_give_the_model_of_the_frame():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(1200, 2))
    y = (rng.random(1200) < 1 / (1 + np.exp(-(-2 + 1.5 * x[:, 0])))).astype(int)
    dates = np.repeat(DATES.to_numpy(), 200)
    from_arrays = fit_churn_model(x, y, dates)
    from_frame = fit_churn_model(pd.DataFrame(x, columns=["x0", "x1"]), pd.Series(y), pd.Series(dates))
    assert from_arrays.feature_names == ["x0", "x1"]
    assert from_arrays.predict_proba(x[:5]) == pytest.approx(from_frame.predict_proba(x[:5]))


@pytest.mark.parametrize(
    ("change", "positive", "message"),
    [
        (
            lambda f, y: (f, y.map({1: "churned", 0: "active"})),
            None,
            r"'active' and 'churned'|'churned' and 'active'",
        ),
        (lambda f, y: (f, y.map({1: "a", 0: "b"}).where(y.index % 7 > 0, "c")), None, "3 distinct values"),
        (lambda f, y: (f, y.where(y.index % 9 > 0)), None, "missing values"),
        (lambda f, y: (f, y), "yes", r"positive_label 'yes' is not a value of label"),
        (
            lambda f, y: (f.assign(signed_up=pd.Timestamp("2024-01-01")), y),
            None,
            r"feature 'signed_up' holds dates.*days since",
        ),
        (
            lambda f, y: (f.assign(email=[f"u{i}@x.io" for i in range(len(f))]), y),
            None,
            r"'email' .* identifier",
        ),
    ],
)
def test_what_the_model_cannot_use_is_refused_saying_what_to_do(change, positive, message):
    features, label, dates = customers(n_accounts=100)
    features, label = change(features, label)
    with pytest.raises(ChurnInputError, match=message):
        fit_churn_model(features, label, dates, positive_label=positive)


def test_every_candidate_is_reported_and_the_choice_follows_the_rule(plan_model):
    model = plan_model[0]
    aucs = {kind: metrics.auc for kind, metrics in model.candidate_metrics.items()}
    assert set(aucs) == {"logistic_regression", "gradient_boosting", "blend"}
    assert model.kind == churn_model.choose_candidate(aucs)


@pytest.mark.parametrize(
    ("aucs", "chosen"),
    [
        ({"logistic_regression": 0.80, "gradient_boosting": 0.81, "blend": 0.812}, "gradient_boosting"),
        ({"logistic_regression": 0.80, "gradient_boosting": 0.803, "blend": 0.81}, "blend"),
        ({"logistic_regression": 0.80, "gradient_boosting": 0.803, "blend": 0.804}, "logistic_regression"),
        ({"logistic_regression": 0.80, "gradient_boosting": None, "blend": None}, "logistic_regression"),
    ],
)
def test_a_more_complex_candidate_must_win_by_the_margin(aucs, chosen):
    # The margin is 0.005: 0.81 beats 0.80 by 0.01; the blend's 0.812 does not beat 0.81 by more.
    assert churn_model.choose_candidate(aucs) == chosen


def test_the_blend_is_the_mean_of_its_two_calibrated_models():
    features, label, _ = customers(n_accounts=150, seed=3)
    x = pd.get_dummies(features, dtype=float).to_numpy()
    blend = churn_model._estimator("blend", 0).fit(x, label.to_numpy())
    lr = churn_model._estimator("logistic_regression", 0).fit(x, label.to_numpy())
    gb = churn_model._estimator("gradient_boosting", 0).fit(x, label.to_numpy())
    expected = (lr.predict_proba(x[:20])[:, 1] + gb.predict_proba(x[:20])[:, 1]) / 2
    assert blend.predict_proba(x[:20])[:, 1] == pytest.approx(expected)
