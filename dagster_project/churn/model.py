"""Churn model: train on a labelled table of account snapshots, predict calibrated churn probabilities.

Nothing here knows about Dagster or the warehouse: the inputs are a customer
table of features (numbers, booleans, text or categories; a pandas frame or a
numpy array, see `dagster_project.churn.inputs`), a label ("churned within the
horizon": 0/1, booleans, or two values with ``positive_label`` naming the
churned one) and the snapshot date of each row, so the module can be used and
tested on any labelled table.

Example::

    model = fit_churn_model(features, label, snapshot_dates, groups=segment)
    model.kind                       # "logistic_regression", "gradient_boosting", "blend" or "segment_prior"
    model.candidate_metrics          # every candidate's validation metrics
    model.metrics.as_dict()          # validation-window AUC, Brier, top decile, ...
    p = model.predict_proba(new_features, groups=new_segment)
    why = model.drivers(new_features)  # [["logins_30d", "open_tickets", ...], ...]
    detail = model.explain(new_features)  # the same, as Driver(feature, value, average, contribution)
    model.save("data/models/churn.joblib")
    same = ChurnModel.load("data/models/churn.joblib")

How it is fitted:

- **Time-based validation.** The distinct snapshot dates are sorted; the
  latest ``max(1, round(validation_share * n_dates))`` of them (always leaving
  at least one older date) are the validation window, the rest the training
  window. Rows are never split at random, so nothing from the future leaks
  into the candidates' training.
- **Candidates**, fitted on the training window and scored on the
  validation window: logistic regression (median imputation, standard
  scaling, L2 logistic regression *without* class weights, because weights
  would move the probabilities away from observed rates), scikit-learn's
  HistGradientBoostingClassifier (handles missing values itself), and their
  blend (the mean of the two calibrated probabilities). From the simplest
  (logistic regression, then gradient boosting, then the blend), a candidate
  replaces the one chosen so far only if its validation AUC is higher by more
  than ``MORE_COMPLEX_MARGIN`` (0.005): simpler models read more easily and
  wins by less are noise. ``candidate_metrics`` reports all three.
- **Calibration.** Each candidate is wrapped in ``CalibratedClassifierCV``
  with sigmoid (Platt) scaling and 3 stratified folds: the calibrator is fitted
  on out-of-fold predictions of the same window, so no rows need to be held
  back. Sigmoid rather than isotonic because churn events are few and
  isotonic regression overfits small samples.
- **Refit.** After choosing, the chosen kind is refitted (with calibration)
  on *all* rows, because the latest snapshots carry the most relevant
  behaviour. The reported ``metrics`` stay those of the training-window model
  on the validation window; ``candidate_metrics`` has both candidates'.
- **Drivers** come from a logistic regression fitted on all rows, whatever
  the chosen kind: for each row, coefficient × standardised value per
  feature; the features with the largest *positive* contributions (pushing
  churn up) are named, largest first. For gradient boosting this is an
  approximation that reads the same way; calibration is monotone, so it does
  not change which features push churn up.
  Correlated features can take coefficients of opposite signs (active users
  over 7 days pushing churn down, over 30 days pushing it up), which would
  name "high active users" as a reason to churn. A feature is therefore named
  only where its coefficient has the sign of its own correlation with churn
  (``driver_features``); the others still count in the prediction.
- **Missing values** are fine: the logistic pipeline imputes medians,
  gradient boosting routes them itself. A feature with no value at all in the
  training window is ignored (set to 0 for fitting) with a warning.
- Fitting and predicting run single-threaded: the tables are small, and
  OpenMP threads on a busy shared machine made gradient boosting 10x slower.

Fallback (``kind="segment_prior"``): with too little history or too few churn
events the models would be noise, so instead of crashing or returning
nonsense the fit returns a model whose probability for a row is the observed
churn rate of the row's group (``groups``, e.g. the segment), or the overall
rate when no groups are given or the group was not seen. It happens when
there are fewer than 2 distinct snapshot dates; fewer than
``MIN_TRAIN_POSITIVES`` (20) churned or not-churned rows in the training
window; or fewer than ``MIN_VALIDATION_POSITIVES`` (5) churned or not-churned
rows in the validation window. ``model.warnings`` says which, the reason is
logged at WARNING level, and ``metrics`` are those of the training-window
rates on the validation window (``None`` where the sample cannot support
them, all ``None`` with a single snapshot date). Its ``drivers`` are empty
lists.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from os import PathLike
from pathlib import Path
from typing import Any, Literal

import joblib
import numpy as np
import pandas as pd
import sklearn
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from dagster_project.churn.inputs import Encoding, as_frame, as_series, binary_label, learn_encoding
from dagster_project.churn.metrics import ChurnMetrics, evaluate

log = logging.getLogger(__name__)

ModelKind = Literal["logistic_regression", "gradient_boosting", "blend", "segment_prior"]
# The candidates from the simplest to the most complex: a later one must beat the chosen one by the margin.
CANDIDATES: tuple[ModelKind, ...] = ("logistic_regression", "gradient_boosting", "blend")

# Bump when the saved payload or the ChurnModel fields change incompatibly.
FORMAT_VERSION = 4
MIN_TRAIN_POSITIVES = 20
MIN_VALIDATION_POSITIVES = 5
MORE_COMPLEX_MARGIN = 0.005
CALIBRATION_FOLDS = 3
# Scoring this many rows at once uses every core (see _threads_for).
PARALLEL_SCORING_ROWS = 50_000
# A feature with fewer values than this in the training rows is not learnt from (``too_sparse``).
MIN_KNOWN_VALUES = 20


@dataclass(frozen=True)
class Driver:
    """One feature pushing a row's churn likelihood up (or down: ``ChurnModel.explain(lowering=True)``).

    ``value`` is the row's value (``None`` when missing, then the training
    median stood in), ``average`` the training mean, ``contribution`` the
    coefficient times the standardised value (log-odds added by the feature).
    """

    feature: str
    value: float | None
    average: float
    contribution: float

    @property
    def is_high(self) -> bool:
        """Whether churn is pushed up by the value being above the average (else below it)."""
        return self.value is not None and self.value > self.average


class ModelFormatError(ValueError):
    """A saved model file that this code cannot read (another format version, or not a churn model)."""


@dataclass
class ChurnModel:
    """A fitted churn model: calibrated probabilities, readable drivers, validation metrics.

    ``metrics`` are always from the validation window (see the module
    docstring); ``validation_dates`` and ``training_dates`` list the snapshot
    dates of each window. ``coefficients`` are the explaining logistic
    regression's coefficients on standardised features (empty for the
    fallback). ``version`` is a short hash of the kind, feature names,
    parameters and training data, so identical inputs give the same version.
    ``validation_likelihood`` holds the predictions behind ``metrics``: the
    training-window model's likelihood for each validation row, indexed like
    the features given to the fit (the backtest of the time split).
    """

    kind: ModelKind
    feature_names: list[str]
    metrics: ChurnMetrics
    trained_at: datetime
    version: str
    warnings: list[str] = field(default_factory=list)
    training_dates: list[pd.Timestamp] = field(default_factory=list)
    validation_dates: list[pd.Timestamp] = field(default_factory=list)
    candidate_metrics: dict[str, ChurnMetrics] = field(default_factory=dict)
    coefficients: dict[str, float] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    group_rates: dict[Any, float] = field(default_factory=dict)
    overall_rate: float | None = None
    estimator: Any = field(default=None, repr=False)
    explainer: Pipeline | None = field(default=None, repr=False)
    driver_features: list[str] = field(default_factory=list)
    validation_likelihood: pd.Series | None = field(default=None, repr=False)
    encoding: Encoding | None = field(default=None, repr=False)

    def predict_proba(self, features, groups: pd.Series | None = None) -> np.ndarray:
        """Probability of churn for each row of ``features`` (a frame with the columns it was fitted on,
        or an array of them in the same order).

        ``groups`` is used only by the ``segment_prior`` fallback (the row's
        group rate; the overall rate for unseen or missing groups).
        """
        features = as_frame(features)
        if self.kind == "segment_prior":
            overall = self.overall_rate if self.overall_rate is not None else 0.0
            if groups is None:
                return np.full(len(features), overall, dtype="float64")
            if len(groups) != len(features):
                raise ValueError(f"groups has {len(groups)} values but features has {len(features)} rows")
            return np.array([self.group_rates.get(g, overall) for g in groups], dtype="float64")
        with _threads_for(len(features)):
            return self.estimator.predict_proba(self._design(features))[:, 1]

    def _design(self, features: pd.DataFrame) -> np.ndarray:
        """The numeric matrix the estimators read: the input columns encoded as at fitting."""
        encoded = self.encoding.transform(features) if self.encoding is not None else features
        return _matrix(encoded, self.feature_names)

    def drivers(self, features: pd.DataFrame, top: int = 3) -> list[list[str]]:
        """For each row, up to ``top`` feature names pushing churn up, strongest first.

        Only features with a positive contribution are named, so a row may
        have fewer than ``top`` (or none). The fallback model has no drivers.
        """
        return [[driver.feature for driver in row] for row in self.explain(features, top)]

    def explain(self, features: pd.DataFrame, top: int = 3, lowering: bool = False) -> list[list[Driver]]:
        """For each row, up to ``top`` `Driver` records pushing churn up, strongest first (as `drivers`);
        with ``lowering``, those pushing it down instead (``contribution`` then negative)."""
        if self.explainer is None:
            return [[] for _ in range(len(features))]
        x = self._design(as_frame(features))
        contributions = _contributions(self.explainer, x)
        contributions[:, [name not in self.driver_features for name in self.feature_names]] = 0.0
        if lowering:
            return [
                [replace(d, contribution=-d.contribution) for d in row]
                for row in self._top(x, -contributions, top)
            ]
        return self._top(x, contributions, top)

    def _top(self, x: np.ndarray, contributions: np.ndarray, top: int) -> list[list[Driver]]:
        averages = self.explainer.named_steps["scale"].mean_
        order = np.argsort(-contributions, axis=1, kind="stable")[:, :top]
        result = []
        for i, columns in enumerate(order):
            result.append(
                [
                    Driver(
                        feature=self.feature_names[j],
                        value=None if np.isnan(x[i, j]) else float(x[i, j]),
                        average=float(averages[j]),
                        contribution=float(contributions[i, j]),
                    )
                    for j in columns
                    if contributions[i, j] > 0
                ]
            )
        return result

    def save(self, path: str | PathLike[str]) -> Path:
        """Write the model to ``path`` (joblib), creating parent folders; returns the path.

        The file is a pickle: load only files this project wrote.
        """
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        payload = {"format_version": FORMAT_VERSION, "sklearn_version": sklearn.__version__, "model": self}
        joblib.dump(payload, target)
        return target

    @classmethod
    def load(cls, path: str | PathLike[str]) -> ChurnModel:
        """Read a model written by `save`; raises `ModelFormatError` for another format version."""
        source = Path(path)
        payload = joblib.load(source)
        found = payload.get("format_version") if isinstance(payload, dict) else None
        if found != FORMAT_VERSION or not isinstance(payload.get("model"), cls):
            raise ModelFormatError(
                f"{source}: churn model format version {found!r}, but this code reads version "
                f"{FORMAT_VERSION}. Retrain the model with fit_churn_model and save it again "
                "(e.g. re-materialise the churn model asset)."
            )
        return payload["model"]


def fit_churn_model(
    features,
    label,
    snapshot_dates,
    *,
    groups=None,
    positive_label=None,
    validation_share: float = 0.25,
    random_state: int = 0,
    min_train_positives: int = MIN_TRAIN_POSITIVES,
    min_validation_positives: int = MIN_VALIDATION_POSITIVES,
    previous: ChurnModel | None = None,
) -> ChurnModel:
    """Fit the churn model with a time-based validation window (see the module docstring).

    ``features`` is a frame or a 2-D array of numbers, booleans, text or
    categories (missing values allowed; `dagster_project.churn.inputs`);
    ``label`` is 0/1, booleans, or two values of which ``positive_label`` is
    churned; ``snapshot_dates`` the as-of date of each row; ``groups`` (e.g.
    the segment) feeds only the fallback. Series must share the features'
    index; arrays and lists must have one value per row. ``min_train_positives``
    and ``min_validation_positives`` apply to each class (churned and not
    churned) of each window.

    ``previous`` is a model fitted earlier. It is returned as it is when it
    was fitted on these very rows with these settings (its version would come
    out the same): labels arrive once a month, so most days bring nothing new
    to learn and need no refit.
    """
    if not 0 < validation_share < 1:
        raise ValueError(f"validation_share must be between 0 and 1, got {validation_share}")
    features = as_frame(features)
    if features.columns.empty:
        raise ValueError("features has no columns")
    label = as_series(label, features.index, "label")
    snapshot_dates = as_series(snapshot_dates, features.index, "snapshot_dates")
    groups = as_series(groups, features.index, "groups")
    y = binary_label(label, positive_label)
    encoding = learn_encoding(features)
    feature_names = encoding.names()
    x = _matrix(encoding.transform(features), feature_names)
    dates = pd.to_datetime(snapshot_dates)
    if dates.isna().any():
        raise ValueError("snapshot_dates has missing values")

    training_dates, validation_dates = _split_dates(dates, validation_share)
    is_validation = dates.isin(validation_dates).to_numpy()
    params = _params(validation_share, random_state, min_train_positives, min_validation_positives)
    if previous is not None and previous.version == _version(previous.kind, features, y, dates, params):
        log.info("churn model %s was fitted on the same snapshots and settings: kept", previous.version)
        return previous
    common = {
        "feature_names": feature_names,
        "encoding": encoding,
        "trained_at": datetime.now(UTC),
        "training_dates": training_dates,
        "validation_dates": validation_dates,
        "params": params,
    }

    reasons = _too_little(y, is_validation, validation_dates, min_train_positives, min_validation_positives)
    if reasons:
        return _segment_prior(y, dates, is_validation, validation_dates, groups, reasons, features, common)

    train, valid = ~is_validation, is_validation
    warnings = []
    sparse = too_sparse(x[train])
    if sparse.any():
        x = x.copy()
        x[:, sparse] = 0.0
        names = [name for name, is_sparse in zip(feature_names, sparse, strict=True) if is_sparse]
        warnings.append(
            f"features with fewer than {MIN_KNOWN_VALUES} values in the training window are ignored: {names}"
        )
        log.warning(warnings[-1])
    candidate_likelihood = {}
    with _single_threaded():
        for kind in ("logistic_regression", "gradient_boosting"):
            candidate = _estimator(kind, random_state).fit(x[train], y[train])
            candidate_likelihood[kind] = candidate.predict_proba(x[valid])[:, 1]
    candidate_likelihood["blend"] = (
        candidate_likelihood["logistic_regression"] + candidate_likelihood["gradient_boosting"]
    ) / 2
    candidate_metrics = {kind: evaluate(y[valid], candidate_likelihood[kind]) for kind in CANDIDATES}
    kind = choose_candidate({name: metrics.auc for name, metrics in candidate_metrics.items()})
    log.info(
        "churn model: validation AUC %s; chose %s",
        ", ".join(f"{name} {metrics.auc:.3f}" for name, metrics in candidate_metrics.items()),
        kind,
    )

    with _single_threaded():
        final = _estimator(kind, random_state).fit(x, y)
        explainer = _logistic().fit(x, y)
    coefficients = dict(zip(feature_names, explainer[-1].coef_[0].tolist(), strict=True))
    driver_features = _agreeing_features(explainer, x, y, feature_names)
    return ChurnModel(
        kind=kind,
        metrics=candidate_metrics[kind],
        version=_version(kind, features, y, dates, params),
        warnings=warnings,
        candidate_metrics=candidate_metrics,
        coefficients=coefficients,
        overall_rate=float(y.mean()),
        estimator=final,
        explainer=explainer,
        driver_features=driver_features,
        validation_likelihood=pd.Series(candidate_likelihood[kind], index=features.index[valid]),
        **common,
    )


def choose_candidate(aucs: dict[str, float | None]) -> ModelKind:
    """From the simplest candidate on, the next replaces the chosen one only if its AUC is higher by more
    than ``MORE_COMPLEX_MARGIN``."""
    chosen: ModelKind = CANDIDATES[0]
    for kind in CANDIDATES[1:]:
        if aucs.get(kind) is not None and aucs[kind] > (aucs[chosen] or 0) + MORE_COMPLEX_MARGIN:
            chosen = kind
    return chosen


class Blend:
    """The mean of its estimators' probabilities (each calibrated); fitted on the same rows."""

    def __init__(self, estimators: list[Any]):
        self.estimators = estimators

    def fit(self, x: np.ndarray, y: np.ndarray) -> Blend:
        for estimator in self.estimators:
            estimator.fit(x, y)
        return self

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        return np.mean([estimator.predict_proba(x) for estimator in self.estimators], axis=0)


def _estimator(kind: ModelKind, random_state: int) -> Any:
    """A calibrated, unfitted estimator of ``kind``."""
    if kind == "blend":
        return Blend(
            [_estimator("logistic_regression", random_state), _estimator("gradient_boosting", random_state)]
        )
    base = _logistic() if kind == "logistic_regression" else _boosting(random_state)
    return _calibrated(base, random_state)


def too_sparse(x_train: np.ndarray) -> np.ndarray:
    """The columns with fewer than MIN_KNOWN_VALUES values in the training rows: too few to learn from.
    They are made constants, never used. Gradient boosting cannot bin a column without any value, and a
    fold of the calibration's cross-validation can miss the few values of a sparse column (the walk-forward's
    early days on the medium benchmark did)."""
    return (~np.isnan(x_train)).sum(axis=0) < MIN_KNOWN_VALUES


def _matrix(features: pd.DataFrame, feature_names: list[str]) -> np.ndarray:
    missing = [name for name in feature_names if name not in features.columns]
    if missing:
        raise KeyError(f"features lack the model's columns {missing}")
    frame = features[feature_names]
    try:
        return frame.to_numpy(dtype="float64", na_value=np.nan)
    except (TypeError, ValueError) as error:
        non_numeric = [c for c in feature_names if not pd.api.types.is_numeric_dtype(frame[c])]
        raise TypeError(f"features must be numeric; not numeric: {non_numeric}") from error


def _split_dates(dates: pd.Series, validation_share: float) -> tuple[list[pd.Timestamp], list[pd.Timestamp]]:
    distinct = sorted(dates.unique())
    if len(distinct) < 2:
        return list(map(pd.Timestamp, distinct)), []
    n_validation = min(max(1, round(validation_share * len(distinct))), len(distinct) - 1)
    return (
        [pd.Timestamp(d) for d in distinct[:-n_validation]],
        [pd.Timestamp(d) for d in distinct[-n_validation:]],
    )


def _too_little(
    y: np.ndarray,
    is_validation: np.ndarray,
    validation_dates: list[pd.Timestamp],
    min_train: int,
    min_validation: int,
) -> list[str]:
    if not validation_dates:
        return [
            "fewer than 2 distinct snapshot dates: no older window to train on and a newer one to validate"
        ]
    reasons = []
    for window, rows, minimum in (
        ("training", ~is_validation, min_train),
        ("validation", is_validation, min_validation),
    ):
        churned = int(y[rows].sum())
        stayed = int(rows.sum()) - churned
        if churned < minimum:
            reasons.append(f"only {churned} churned rows in the {window} window (need at least {minimum})")
        if stayed < minimum:
            reasons.append(f"only {stayed} not-churned rows in the {window} window (need at least {minimum})")
    return reasons


def _segment_prior(
    y: np.ndarray,
    dates: pd.Series,
    is_validation: np.ndarray,
    validation_dates: list[pd.Timestamp],
    groups: pd.Series | None,
    reasons: list[str],
    features: pd.DataFrame,
    common: dict[str, Any],
) -> ChurnModel:
    warnings = [f"churn model fell back to segment churn rates: {reason}" for reason in reasons]
    for warning in warnings:
        log.warning(warning)
    keys = None if groups is None else groups.to_numpy(dtype=object)
    params = {**common["params"], "fallback": "segment_prior"}
    if validation_dates:
        train = ~is_validation
        train_rates, train_overall = _rates(y[train], None if keys is None else keys[train])
        predicted = (
            np.full(int(is_validation.sum()), train_overall)
            if keys is None
            else np.array([train_rates.get(g, train_overall) for g in keys[is_validation]], dtype="float64")
        )
        metrics = evaluate(y[is_validation], predicted)
        validation_likelihood = pd.Series(predicted, index=features.index[is_validation])
    else:
        metrics = evaluate(np.array([], dtype="int64"), np.array([], dtype="float64"))
        validation_likelihood = pd.Series([], dtype="float64")
    group_rates, overall = _rates(y, keys)
    return ChurnModel(
        kind="segment_prior",
        metrics=metrics,
        version=_version("segment_prior", features, y, dates, params),
        warnings=warnings,
        group_rates=group_rates,
        overall_rate=overall,
        validation_likelihood=validation_likelihood,
        **{**common, "params": params},
    )


def _rates(y: np.ndarray, keys: np.ndarray | None) -> tuple[dict[Any, float], float]:
    overall = float(y.mean()) if y.size else 0.0
    if keys is None:
        return {}, overall
    frame = pd.DataFrame({"group": keys, "y": y}).dropna(subset=["group"])
    return {g: float(rate) for g, rate in frame.groupby("group")["y"].mean().items()}, overall


def _single_threaded() -> threadpool_limits:
    # Churn tables are small (thousands of rows): OpenMP and BLAS threads cost more than they save
    # here, and on a busy shared machine they thrash (gradient boosting ran 10x slower in tests).
    return threadpool_limits(limits=1)


def _threads_for(rows: int) -> threadpool_limits:
    """Every core for scoring a large batch (a first build's month of account-days: 1.6x faster on two
    cores, the same probabilities); one for the small tables everywhere else."""
    if rows < PARALLEL_SCORING_ROWS:
        return _single_threaded()
    return threadpool_limits(limits=len(os.sched_getaffinity(0)))


def _logistic() -> Pipeline:
    return Pipeline(
        [
            # keep_empty_features keeps an all-missing column, so coefficients stay aligned with names.
            ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
            ("scale", StandardScaler()),
            ("model", LogisticRegression(C=1.0, max_iter=1000)),
        ]
    )


def _boosting(random_state: int) -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(max_iter=100, learning_rate=0.1, random_state=random_state)


def _calibrated(estimator: Any, random_state: int) -> CalibratedClassifierCV:
    folds = StratifiedKFold(n_splits=CALIBRATION_FOLDS, shuffle=True, random_state=random_state)
    return CalibratedClassifierCV(estimator, method="sigmoid", cv=folds)


def _agreeing_features(explainer: Pipeline, x: np.ndarray, y: np.ndarray, names: list[str]) -> list[str]:
    # The sign of each feature's own correlation with the label, against the sign of its coefficient.
    z = explainer[:-1].transform(x)
    correlation_sign = np.sign(((z - z.mean(axis=0)) * (y - y.mean())[:, None]).mean(axis=0))
    agree = np.sign(explainer[-1].coef_[0]) == correlation_sign
    return [name for name, ok in zip(names, agree, strict=True) if ok]


def _contributions(explainer: Pipeline, x: np.ndarray) -> np.ndarray:
    return explainer[:-1].transform(x) * explainer[-1].coef_[0]


def _params(
    validation_share: float, random_state: int, min_train_positives: int, min_validation_positives: int
) -> dict[str, Any]:
    return {
        "validation_share": validation_share,
        "random_state": random_state,
        "min_train_positives": min_train_positives,
        "min_validation_positives": min_validation_positives,
        "calibration": f"sigmoid, {CALIBRATION_FOLDS} stratified folds",
        "logistic_regression": {"C": 1.0, "class_weight": None, "imputer": "median"},
        "gradient_boosting": {"max_iter": 100, "learning_rate": 0.1},
        "more_complex_margin": MORE_COMPLEX_MARGIN,
    }


def _version(
    kind: str, features: pd.DataFrame, y: np.ndarray, dates: pd.Series, params: dict[str, Any]
) -> str:
    # Row hashes summed (wrapping): the same table gives the same version whatever its row order.
    rows = features.reset_index(drop=True).assign(__label=y, __date=pd.Series(dates).to_numpy())
    data_hash = int(pd.util.hash_pandas_object(rows, index=False).to_numpy().sum())
    spec = {
        "format": FORMAT_VERSION,
        "kind": kind,
        "features": [str(c) for c in features.columns],
        "params": params,
        "rows": int(y.size),
        "positives": int(y.sum()),
        "dates": [str(d) for d in sorted(pd.Series(dates).unique())],
        "data": data_hash,
    }
    return hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()[:12]
