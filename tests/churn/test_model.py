"""The churn model API on generated data with a known structure, and `evaluate` on hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from dagster_project.churn import ChurnModel, ModelFormatError, evaluate, fit_churn_model
from dagster_project.churn import model as churn_model

DATES = pd.date_range("2025-01-01", periods=8, freq="MS")


def _snapshots(n_accounts: int = 400, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """Monthly snapshots of x1, x2 (signal) and x3 (noise), with their snapshot dates."""
    rng = np.random.default_rng(seed)
    n = n_accounts * len(DATES)
    features = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n), "x3": rng.normal(size=n)})
    dates = pd.Series(np.repeat(DATES, n_accounts), name="snapshot_date")
    return features, dates


def _linear_truth(features: pd.DataFrame) -> np.ndarray:
    return 1 / (1 + np.exp(-(-2 + 1.5 * features["x1"] - 1.0 * features["x2"])))


def _draw(probability: np.ndarray, seed: int) -> pd.Series:
    return pd.Series((np.random.default_rng(seed).random(probability.size) < probability).astype(int))


@pytest.fixture(scope="module")
def linear() -> tuple[ChurnModel, pd.DataFrame, pd.Series, pd.Series, np.ndarray]:
    features, dates = _snapshots()
    truth = _linear_truth(features).to_numpy()
    label = _draw(truth, seed=1)
    return fit_churn_model(features, label, dates), features, label, dates, truth


def test_linear_signal_beats_chance_close_to_the_true_probabilities(linear) -> None:
    model, _, label, dates, truth = linear
    in_validation = dates.isin(model.validation_dates).to_numpy()
    reference = roc_auc_score(label[in_validation], truth[in_validation])
    assert model.kind == "logistic_regression"
    assert model.metrics.auc > 0.75
    assert model.metrics.auc == pytest.approx(reference, abs=0.03)
    assert (
        model.candidate_metrics["logistic_regression"].auc >= model.candidate_metrics["gradient_boosting"].auc
    )


def test_coefficients_have_the_true_signs(linear) -> None:
    coefficients = linear[0].coefficients
    assert coefficients["x1"] > 0.5
    assert coefficients["x2"] < -0.5
    assert abs(coefficients["x3"]) < 0.2


def test_time_split_validates_on_the_latest_dates_only(linear) -> None:
    model, _, _, dates, _ = linear
    assert model.validation_dates == list(DATES[-2:])
    assert model.training_dates == list(DATES[:-2])
    assert model.metrics.n == int(dates.isin(DATES[-2:]).sum()) == 800


def test_drivers_name_the_feature_pushing_churn_up(linear) -> None:
    model = linear[0]
    rows = pd.DataFrame({"x1": [3.0, 0.0], "x2": [0.0, -3.0], "x3": [0.0, 0.0]})
    drivers = model.drivers(rows)
    assert drivers[0][0] == "x1"
    assert drivers[1][0] == "x2"
    # Only features that push churn up are named.
    assert "x2" not in model.drivers(pd.DataFrame({"x1": [3.0], "x2": [3.0], "x3": [0.0]}))[0]


def test_explain_gives_the_value_and_average_behind_each_driver(linear) -> None:
    model, features = linear[0], linear[1]
    (driver,) = model.explain(pd.DataFrame({"x1": [3.0], "x2": [0.0], "x3": [0.0]}), top=1)[0]
    assert driver.feature == "x1" and driver.value == 3.0 and driver.is_high
    assert driver.average == pytest.approx(features["x1"].mean())
    assert driver.contribution > 0


def test_explain_lowering_names_what_holds_churn_down(linear) -> None:
    # Churn rises with x1 and falls with x2: a low x1 or a high x2 holds it down.
    model = linear[0]
    rows = pd.DataFrame({"x1": [-3.0, 0.0, 3.0], "x2": [0.0, 3.0, 0.0], "x3": [0.0, 0.0, 0.0]})
    low_x1, high_x2, high_x1 = model.explain(rows, top=1, lowering=True)
    assert [(d.feature, d.value, d.is_high) for d in low_x1 + high_x2] == [
        ("x1", -3.0, False),
        ("x2", 3.0, True),
    ]
    assert low_x1[0].contribution < 0 and high_x2[0].contribution < 0  # log-odds taken away
    assert all(d.feature != "x1" for d in high_x1)  # x1 = 3 pushes churn up: never named as holding it down


def test_a_suppressor_feature_is_never_named_as_a_driver() -> None:
    # b is correlated with a and churn rises with both (b through a), yet b's coefficient is negative:
    # with a in the model, a lower b means higher churn. Naming "low b" as a reason would mislead.
    rng = np.random.default_rng(5)
    u, v = rng.normal(size=4000), rng.normal(size=4000)
    features = pd.DataFrame({"a": u + v, "b": u})
    label = _draw(1 / (1 + np.exp(-(-2 + 1.0 * u + 2.0 * v))), seed=6)
    dates = pd.Series(np.repeat(DATES, 500))
    model = fit_churn_model(features, label, dates)
    assert model.coefficients["b"] < 0 < np.corrcoef(features["b"], label)[0, 1]
    assert model.driver_features == ["a"]
    drivers = model.drivers(pd.DataFrame({"a": [0.0, 2.0], "b": [-3.0, -3.0]}))
    assert drivers == [[], ["a"]]


def test_probabilities_are_calibrated_on_the_validation_window(linear) -> None:
    model = linear[0]
    metrics = model.metrics
    assert metrics.brier < metrics.base_rate * (1 - metrics.base_rate)
    for row in model.metrics.calibration:
        if row.n >= 100:
            assert row.observed_rate == pytest.approx(row.mean_predicted, abs=0.1)


def test_save_and_load_round_trip(linear, tmp_path) -> None:
    model, features, *_ = linear
    path = model.save(tmp_path / "models" / "churn.joblib")
    loaded = ChurnModel.load(path)
    np.testing.assert_array_equal(loaded.predict_proba(features), model.predict_proba(features))
    assert loaded.version == model.version
    assert loaded.drivers(features.head(5)) == model.drivers(features.head(5))


def test_a_previous_model_is_kept_only_for_the_same_snapshots_and_settings(linear, tmp_path) -> None:
    model, features, label, dates, _ = linear
    previous = ChurnModel.load(model.save(tmp_path / "churn.joblib"))
    assert fit_churn_model(features, label, dates, previous=previous) is previous
    # One label more (a snapshot whose outcome changed), or other settings: a new fit
    relabelled = label.copy()
    relabelled.iloc[0] = 1 - relabelled.iloc[0]
    refitted = fit_churn_model(features, relabelled, dates, previous=previous)
    assert refitted is not previous and refitted.version != previous.version
    assert fit_churn_model(features, label, dates, previous=previous, validation_share=0.5) is not previous


def test_loading_another_format_version_names_the_file(linear, tmp_path, monkeypatch) -> None:
    path = tmp_path / "old_churn.joblib"
    with monkeypatch.context() as patch:
        patch.setattr(churn_model, "FORMAT_VERSION", 0)
        linear[0].save(path)
    with pytest.raises(ModelFormatError, match="old_churn.joblib.*Retrain"):
        ChurnModel.load(path)


def test_gradient_boosting_is_chosen_only_where_the_problem_is_not_linear() -> None:
    features, dates = _snapshots(n_accounts=300, seed=2)
    label = _draw(np.where(features["x1"].abs() > 1.5, 0.8, 0.05), seed=3)
    model = fit_churn_model(features, label, dates)
    assert model.kind == "gradient_boosting"
    assert model.candidate_metrics["logistic_regression"].auc < 0.65
    assert model.metrics.auc > 0.75
    assert len(model.predict_proba(features)) == len(features)
    # A batch large enough to be scored on every core gets the probabilities one core gives.
    many = pd.concat([features] * (churn_model.PARALLEL_SCORING_ROWS // len(features) + 1), ignore_index=True)
    assert len(many) >= churn_model.PARALLEL_SCORING_ROWS
    parallel = model.predict_proba(many)
    with churn_model._single_threaded():
        alone = model.estimator.predict_proba(model._design(many))[:, 1]
    np.testing.assert_array_equal(parallel, alone)


def test_pure_noise_stays_near_chance() -> None:
    features, dates = _snapshots(n_accounts=300, seed=7)
    label = _draw(np.full(len(features), 0.2), seed=8)
    model = fit_churn_model(features, label, dates)
    assert model.kind == "logistic_regression"
    assert model.metrics.auc == pytest.approx(0.5, abs=0.07)


def test_missing_values_do_not_crash() -> None:
    features, dates = _snapshots(n_accounts=200, seed=4)
    label = _draw(_linear_truth(features).to_numpy(), seed=5)
    holes = np.random.default_rng(6).random(features.shape) < 0.2
    features = features.mask(holes)
    features["empty"] = np.nan
    model = fit_churn_model(features, label, dates)
    probability = model.predict_proba(features)
    assert np.isfinite(probability).all()
    assert model.metrics.auc > 0.65
    assert len(model.drivers(features.head(3))) == 3


def test_too_few_churn_events_fall_back_to_group_rates() -> None:
    features = pd.DataFrame({"x1": np.arange(12.0)})
    dates = pd.Series(np.repeat(pd.to_datetime(["2025-01-01", "2025-02-01", "2025-03-01"]), 4))
    groups = pd.Series(["smb", "ent"] * 6)
    label = pd.Series([1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0])
    model = fit_churn_model(features, label, dates, groups=groups)

    assert model.kind == "segment_prior"
    assert any("churned rows in the training window" in w for w in model.warnings)
    # smb rows are the even positions: labels 1,0,0,1,0,1 -> 3/6; ent: 0,0,1,0,0,0 -> 1/6.
    assert model.group_rates == {"smb": 0.5, "ent": pytest.approx(1 / 6)}
    probability = model.predict_proba(features.head(3), groups=pd.Series(["smb", "ent", "unseen"]))
    np.testing.assert_allclose(probability, [0.5, 1 / 6, 4 / 12])
    assert model.drivers(features.head(2)) == [[], []]
    # Validated on the last date with training-window rates (smb 2/4, ent 1/4): labels 1,0,1,0.
    assert model.metrics.n == 4
    assert model.metrics.brier == pytest.approx(((1 - 0.5) ** 2 + 0.25**2 + 0.5**2 + 0.25**2) / 4)


def test_a_single_snapshot_date_falls_back_without_metrics() -> None:
    features, _ = _snapshots(n_accounts=100)
    features = features.head(100)
    dates = pd.Series(pd.Timestamp("2025-01-01"), index=features.index)
    label = pd.Series([1, 0] * 50)
    model = fit_churn_model(features, label, dates)
    assert model.kind == "segment_prior"
    assert "fewer than 2 distinct snapshot dates" in model.warnings[0]
    assert model.metrics.n == 0 and model.metrics.auc is None
    np.testing.assert_allclose(model.predict_proba(features), 0.5)


def test_evaluate_on_a_hand_made_example() -> None:
    metrics = evaluate(pd.Series([1, 0, 1, 0]), np.array([0.9, 0.8, 0.3, 0.1]))
    assert metrics.auc == pytest.approx(0.75)
    assert metrics.brier == pytest.approx((0.1**2 + 0.8**2 + 0.7**2 + 0.1**2) / 4)  # 0.2875
    # Ranked 1,0,1,0: precision 1 at recall 0.5, 2/3 at recall 1.
    assert metrics.average_precision == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)
    assert (metrics.n, metrics.positives, metrics.base_rate) == (4, 2, 0.5)
    # Top decile of 4 rows is ceil(0.4) = 1 row: the 0.9, a churner.
    assert (metrics.top_decile_n, metrics.top_decile_precision, metrics.top_decile_recall) == (1, 1.0, 0.5)
    assert [(b.bin, b.n, b.mean_predicted, b.observed_rate) for b in metrics.calibration] == [
        (1, 1, 0.1, 0.0),
        (3, 1, 0.3, 1.0),
        (8, 1, 0.8, 0.0),
        (9, 1, 0.9, 1.0),
    ]
    row = metrics.as_dict()
    assert row["auc"] == pytest.approx(0.75)
    assert all(not isinstance(v, list | dict | tuple) for v in row.values())


def test_top_decile_rule_with_ties() -> None:
    # 10 rows: the top decile is 1 row, the single highest probability.
    label = [0, 1, 0, 0, 1, 0, 0, 0, 1, 0]
    probability = [0.2, 0.95, 0.1, 0.3, 0.4, 0.1, 0.2, 0.3, 0.5, 0.1]
    metrics = evaluate(label, probability)
    assert (metrics.top_decile_n, metrics.top_decile_precision) == (1, 1.0)
    assert metrics.top_decile_recall == pytest.approx(1 / 3)
    # 20 rows, top decile 2: one clear churner, then three tied at 0.9 of which one churned
    # share the last slot, counting 1/3 of a churner whatever the row order.
    label = [1, 0, 1, 0] + [0] * 15 + [1]
    probability = [0.95, 0.9, 0.9, 0.9] + [0.1] * 16
    for order in (slice(None), slice(None, None, -1)):
        metrics = evaluate(np.array(label)[order], np.array(probability)[order])
        assert metrics.top_decile_n == 2
        assert metrics.top_decile_precision == pytest.approx((1 + 1 / 3) / 2)
        assert metrics.top_decile_recall == pytest.approx((1 + 1 / 3) / 3)


def test_evaluate_leaves_unsupported_metrics_empty() -> None:
    metrics = evaluate([0, 0, 0], [0.1, 0.2, 0.3])
    assert metrics.auc is None and metrics.average_precision is None and metrics.top_decile_recall is None
    assert metrics.brier == pytest.approx((0.01 + 0.04 + 0.09) / 3)
    assert math.isclose(metrics.base_rate, 0.0)
