"""Recalibrate a scorecard: measure weights fitted against what happened, and the AUC each set would have had.

Nothing here knows about Dagster or the warehouse. The input is one row per
(snapshot, measure) of the snapshots whose outcome is known, as the dbt model
``int_snapshot_measure_points`` has them, with the outcome beside it::

    scorecard_id, account_id, as_of_date, measure, category, weight, method,
    points, is_cap_holding, cap_score, override_score, churned

How a set of weights scores a snapshot (as dbt does, `health_scores`): the
weighted mean of the points of the measures that have a value (missing ones'
weight shared by the rest), capped at the lowest holding cap, rounded to two
decimals; a CSM override replaces the score whatever the weights.

How weights are fitted (`fit_weights`): a logistic regression of churn on the
measures' points, ``P(churn) = sigmoid(b - sum(beta_i * points_i / 100))``,
with every ``beta_i >= 0`` (more points can only mean healthier, as the score
reads them) and a small L2 penalty; missing points stand at the measure's
average for the fit only. The betas, normalised to sum to one and rounded to
two decimals (the seed's precision) with the rounding spread so they still
sum to exactly one, are the weights. Cap measures keep weight 0.

When a set is recommended (`recommend_weights`): the AUC of the health score as
a churn ranking over all snapshots (marts.score_effectiveness' ``health_score_auc``)
is what analysts judge a score by, so each scorecard's fitted set is adopted
only if it raises that overall AUC by at least ``MIN_AUC_GAIN``, scorecards
taken in turn. Otherwise, and when a scorecard has fewer than
``MIN_OUTCOMES`` churned or not-churned snapshots, it keeps its current
weights, with the reason. Adopting every recommended set therefore never lowers
the overall backtest AUC.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from sklearn.metrics import roc_auc_score

MIN_OUTCOMES = 20
MIN_AUC_GAIN = 0.001
L2_PENALTY = 1e-3
# The settings a fit depends on besides its rows (`recommend_weights` is deterministic): the same rows
# and settings give the same recommendations.
FIT_SETTINGS = f"{MIN_OUTCOMES}:{MIN_AUC_GAIN}:{L2_PENALTY}"
CAP = "cap"


@dataclass(frozen=True)
class Scorecard:
    """A scorecard's snapshots as matrices: points (snapshots x scored measures), caps, overrides, outcome;
    and its ``catalogue``: every measure (caps too) with its category and current weight."""

    scorecard_id: str
    measures: list[str]
    current: np.ndarray
    points: np.ndarray
    cap: np.ndarray
    override: np.ndarray
    churned: np.ndarray
    catalogue: pd.DataFrame

    @classmethod
    def from_rows(cls, scorecard_id: str, rows: pd.DataFrame) -> Scorecard:
        """From the long rows of one scorecard (one per snapshot and measure)."""
        snapshot = ["account_id", "as_of_date"]
        scored = rows[rows["method"] != CAP]
        points = scored.set_index([*snapshot, "measure"])["points"].astype("float64").unstack("measure")
        keys = points.index
        holding = rows[rows["is_cap_holding"].astype(bool)]
        cap = holding.groupby(snapshot)["cap_score"].min().reindex(keys)
        first = rows.groupby(snapshot)[["override_score", "churned"]].first().reindex(keys)
        outcomes = first.assign(cap=cap)
        catalogue = rows.drop_duplicates("measure").sort_values("measure")
        catalogue = catalogue[["measure", "category", "weight", "method"]]
        return cls.from_snapshots(scorecard_id, catalogue, points, outcomes)

    @classmethod
    def from_snapshots(
        cls, scorecard_id: str, catalogue: pd.DataFrame, points: pd.DataFrame, snapshots: pd.DataFrame
    ) -> Scorecard:
        """From ``catalogue`` (``measure``, ``category``, ``weight``, ``method``: a row per measure, caps
        too), the ``points`` of each snapshot (a column per scored measure) and, row for row, its lowest
        holding ``cap``, ``override_score`` and ``churned``. The warehouse hands the snapshots over this
        way, pivoted: a row per snapshot and measure would be a dozen times the rows in memory."""
        measures = sorted(str(m) for m in catalogue.loc[catalogue["method"] != CAP, "measure"])
        weights = catalogue.set_index("measure")["weight"].reindex(measures)
        return cls(
            scorecard_id=scorecard_id,
            measures=measures,
            current=weights.to_numpy(dtype="float64"),
            points=points[measures].to_numpy(dtype="float64", na_value=np.nan),
            cap=snapshots["cap"].to_numpy(dtype="float64", na_value=np.nan),
            override=snapshots["override_score"].to_numpy(dtype="float64", na_value=np.nan),
            churned=snapshots["churned"].to_numpy(dtype="int64"),
            catalogue=catalogue.reset_index(drop=True),
        )

    def scores(self, weights: np.ndarray) -> np.ndarray:
        """The health score each snapshot would have had with ``weights`` (one per scored measure)."""
        return health_scores(self.points, weights, self.cap, self.override)


def health_scores(
    points: np.ndarray, weights: np.ndarray, cap: np.ndarray, override: np.ndarray
) -> np.ndarray:
    """Weighted mean of the present points, capped, rounded half up to 2 decimals; overrides win.

    ``points`` is snapshots x measures (NaN = no value), ``cap`` the lowest
    holding cap of each snapshot (NaN = none), ``override`` a CSM's score (NaN = none).
    """
    present = ~np.isnan(points)
    weighted = np.where(present, points, 0.0) @ weights
    present_weight = present.astype("float64") @ weights
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(present_weight > 0, weighted / present_weight, np.nan)
    capped = ~np.isnan(cap) & (cap < np.where(np.isnan(score), 100.0, score))
    score = np.where(capped, cap, score)
    # dbt rounds an exact decimal; the epsilon keeps 12.345 (12.3449999... in binary) rounding up as there
    score = np.floor(score * 100 + 0.5 + 1e-9) / 100
    return np.where(np.isnan(override), score, override)


def churn_auc(churned: np.ndarray, health: np.ndarray) -> float | None:
    """AUC of the health score as a churn ranking (low score = risky); None without both outcomes."""
    known = ~np.isnan(health)
    y, score = churned[known], health[known]
    if y.min(initial=1) == y.max(initial=0):
        return None
    return float(roc_auc_score(y, -score))


def fit_weights(points: np.ndarray, churned: np.ndarray) -> np.ndarray:
    """Non-negative weights summing to 1 (2 decimals) from a logistic fit of churn on the points.

    Returns all zeros when no measure lowers churn as its points rise.
    """
    x = points / 100.0
    means = np.nanmean(np.where(np.isnan(x).all(axis=0), 0.0, x), axis=0)
    x = np.where(np.isnan(x), means, x)
    y = churned.astype("float64")
    n, k = x.shape

    def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
        z = params[0] - x @ params[1:]
        p = 1.0 / (1.0 + np.exp(-z))
        value = np.logaddexp(0.0, z).sum() - y @ z + L2_PENALTY * n * params[1:] @ params[1:]
        gradient_z = p - y
        gradient = np.concatenate([[gradient_z.sum()], -(x.T @ gradient_z) + 2 * L2_PENALTY * n * params[1:]])
        return float(value), gradient

    start = np.concatenate([[np.log(max(y.mean(), 1e-6) / max(1 - y.mean(), 1e-6))], np.zeros(k)])
    fitted = minimize(loss, start, jac=True, method="L-BFGS-B", bounds=[(None, None)] + [(0.0, None)] * k)
    return round_weights(fitted.x[1:])


def round_weights(raw: np.ndarray, decimals: int = 2) -> np.ndarray:
    """``raw`` normalised to sum to 1 and rounded; largest-remainder rounding keeps the sum exactly 1."""
    total = raw.sum()
    if total <= 0:
        return np.zeros_like(raw)
    unit = 10**decimals
    scaled = raw / total * unit
    whole = np.floor(scaled)
    short = int(round(unit - whole.sum()))
    order = np.argsort(-(scaled - whole), kind="stable")
    whole[order[:short]] += 1
    return whole / unit


def recommend_weights(rows: pd.DataFrame) -> pd.DataFrame:
    """Current and recommended weight of every scorecard measure, with the backtest AUC of each set.

    ``rows`` as described in the module docstring. One row per (scorecard, measure), cap measures included.
    """
    return recommend([Scorecard.from_rows(str(sid), group) for sid, group in rows.groupby("scorecard_id")])


def recommend(scorecards: list[Scorecard]) -> pd.DataFrame:
    """`recommend_weights` of scorecards already in matrices."""
    fitted, reasons = {}, {}
    for card in scorecards:
        churned = int(card.churned.sum())
        stayed = len(card.churned) - churned
        if min(churned, stayed) < MIN_OUTCOMES:
            reasons[card.scorecard_id] = (
                f"keep current: {churned} churned and {stayed} not-churned snapshots "
                f"(need {MIN_OUTCOMES} of each)"
            )
            continue
        weights = fit_weights(card.points, card.churned)
        if weights.sum() == 0:
            reasons[card.scorecard_id] = "keep current: no measure's points fall as churn rises"
        else:
            fitted[card.scorecard_id] = weights

    chosen = {card.scorecard_id: card.current for card in scorecards}
    all_current = _pooled_auc(scorecards, chosen)
    best = all_current
    for card in scorecards:
        if card.scorecard_id not in fitted:
            continue
        trial = {**chosen, card.scorecard_id: fitted[card.scorecard_id]}
        trial_auc = _pooled_auc(scorecards, trial)
        if best is not None and trial_auc is not None and trial_auc >= best + MIN_AUC_GAIN:
            chosen, best = trial, trial_auc
            reasons[card.scorecard_id] = "recommended"
        else:
            reasons[card.scorecard_id] = (
                f"keep current: the fitted weights would not raise the overall AUC by {MIN_AUC_GAIN}"
            )

    out = []
    for card in scorecards:
        current_auc = churn_auc(card.churned, card.scores(card.current))
        recommended_auc = churn_auc(card.churned, card.scores(chosen[card.scorecard_id]))
        by_measure = dict(zip(card.measures, chosen[card.scorecard_id], strict=True))
        for measure in card.catalogue.itertuples():
            out.append(
                {
                    "scorecard_id": card.scorecard_id,
                    "measure": measure.measure,
                    "category": measure.category,
                    "current_weight": float(measure.weight),
                    "recommended_weight": float(by_measure.get(measure.measure, measure.weight)),
                    "snapshots": len(card.churned),
                    "churned": int(card.churned.sum()),
                    "current_auc": current_auc,
                    "recommended_auc": recommended_auc,
                    "all_current_auc": all_current,
                    "all_recommended_auc": best,
                    "status": reasons[card.scorecard_id],
                }
            )
    return pd.DataFrame(out)


def _pooled_auc(scorecards: list[Scorecard], weights: dict[str, np.ndarray]) -> float | None:
    if not scorecards:
        return None
    churned = np.concatenate([card.churned for card in scorecards])
    health = np.concatenate([card.scores(weights[card.scorecard_id]) for card in scorecards])
    return churn_auc(churned, health)
