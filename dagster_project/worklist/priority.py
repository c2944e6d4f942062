"""The prioritised worklist: values, revenue at risk, priority score, tiers, ranks and queues.

Definitions (all per account on the as-of date; money in the reporting currency; p is the churn
likelihood over the model's horizon, 90 days by default):

- **lifetime_value**: revenue to date, the sum of the account's paid invoices.
- **annual_revenue** = MRR x 12.
- **expected_future_value** = MRR x min(1 / m, ``future_value_months``), where
  m = 1 - (1 - p) ^ (1 / horizon_months) is the monthly churn probability
  implied by p (90 days is 2.96 months). With a constant monthly churn
  probability an account stays 1 / m more months on average (a geometric
  lifetime); the cap keeps an account with p near 0 from being worth decades.
- **revenue_at_risk** = MRR x 12 x p: the annual revenue expected to be lost.
- **priority_score**, by ``priority_method`` (``seeds/worklist_settings.csv``):
  - ``expected_loss`` (default): p x value x urgency, the revenue expected to
    be lost. The value is ``priority_value`` (annual revenue by default,
    expected future value or lifetime value); urgency = 1 + w x max(0, d - r) / d
    for an account renewing in r days (d = ``renewal_urgency_days``,
    w = ``renewal_urgency_weight``): one renewing today weighs 1 + w times one
    renewing in d days or later.
  - ``health_x_lifetime_value``: (100 - health) / 100 x lifetime value, the
    prioritisation handbook's score.
  Under both, a health-50 account worth 250,000 comes before a health-90 one
  worth 200,000, before a health-80 one worth 10,000, when the churn
  likelihoods rise as health falls.
- **priority tier** from the account's play (save or grow, ``plays.py``) and
  its value band (high when the value is at or above the
  ``high_value_percentile`` of the day's accounts and at least
  ``high_value_minimum``); names in ``seeds/priority_tiers.csv``: a save play
  is P1 or P3, any other P2 or P4, so tier and play always agree.
- **priority_rank**: 1 for the highest priority score, ties broken by the
  sooner renewal, then revenue at risk, then account id, so the order is total
  and repeatable;
  **queue** is the account's owner, or ``unassigned``; **owner_rank** is the
  same order within each queue.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dagster_project.worklist.settings import WorklistSettings

DAYS_PER_MONTH = 365.25 / 12
UNASSIGNED = "unassigned"


def expected_future_value(
    mrr: pd.Series, churn_likelihood: pd.Series, horizon_days: int, cap_months: int
) -> pd.Series:
    """MRR times the expected remaining months implied by the churn likelihood, capped (see module doc)."""
    horizon_months = horizon_days / DAYS_PER_MONTH
    p = churn_likelihood.astype("float64").clip(0, 1)
    monthly = 1 - (1 - p) ** (1 / horizon_months)
    with np.errstate(divide="ignore"):
        months = np.minimum(1 / monthly, cap_months)
    return mrr.astype("float64") * months


def health_x_lifetime_value(health_score: pd.Series, lifetime_value: pd.Series) -> pd.Series:
    """(100 - health) / 100 x lifetime value: high when health is low and value is high."""
    return (100 - health_score.astype("float64")) / 100 * lifetime_value.astype("float64")


def renewal_urgency(days_to_renewal: pd.Series, settings: WorklistSettings) -> pd.Series:
    """1 + w x max(0, d - days) / d: up to 1 + w for a renewal today, 1 from d days on or with none."""
    d = settings.renewal_urgency_days
    days = days_to_renewal.astype("float64").fillna(d)
    return 1 + settings.renewal_urgency_weight * (d - days).clip(lower=0, upper=d) / d


def priority_value(accounts: pd.DataFrame, settings: WorklistSettings) -> pd.Series:
    """The value the priority weighs, by ``priority_value`` (the handbook's method: lifetime value)."""
    if settings.priority_method == "health_x_lifetime_value" or settings.priority_value == "lifetime_value":
        return accounts["lifetime_value"].astype("float64")
    if settings.priority_value == "expected_future_value":
        return accounts["expected_future_value"].astype("float64")
    return accounts["mrr"].astype("float64") * 12


def with_values(accounts: pd.DataFrame, settings: WorklistSettings, horizon_days: int) -> pd.DataFrame:
    """``accounts`` with expected_future_value and the value the priority weighs (``value``)."""
    out = accounts.assign(
        expected_future_value=expected_future_value(
            accounts["mrr"], accounts["churn_likelihood"], horizon_days, settings.future_value_months
        )
    )
    out["value"] = priority_value(out, settings)
    return out


def priority_score(accounts: pd.DataFrame, settings: WorklistSettings) -> pd.Series:
    """The score the worklist is ordered by (see the module doc); ``accounts`` has value and the inputs."""
    if settings.priority_method == "health_x_lifetime_value":
        return health_x_lifetime_value(accounts["health_score"], accounts["lifetime_value"])
    likelihood = accounts["churn_likelihood"].astype("float64").fillna(0)
    return likelihood * accounts["value"] * renewal_urgency(accounts["days_to_renewal"], settings)


def value_band(value: pd.Series, settings: WorklistSettings) -> pd.Series:
    """``high`` at or above the day's percentile threshold (and the minimum), else ``low``."""
    values = value.astype("float64")
    threshold = max(
        float(np.nanpercentile(values, settings.high_value_percentile)), settings.high_value_minimum
    )
    return pd.Series(np.where(values >= threshold, "high", "low"), index=value.index)


def prioritize(
    accounts: pd.DataFrame, settings: WorklistSettings, tiers: pd.DataFrame, horizon_days: int
) -> pd.DataFrame:
    """The worklist of one day, highest priority first.

    ``accounts`` has one row per account: account_id, account_owner, health_score, lifetime_value, mrr,
    churn_likelihood, days_to_renewal and play_kind (`plays.assign_plays`); other columns are kept.
    ``tiers`` is the checked ``priority_tiers`` seed. Adds expected_future_value, value,
    revenue_at_risk, priority_score, value_band, priority_tier, tier_name, queue, priority_rank and
    owner_rank.
    """
    out = with_values(accounts, settings, horizon_days)
    out["revenue_at_risk"] = out["mrr"].astype("float64") * 12 * out["churn_likelihood"].astype("float64")
    out["priority_score"] = priority_score(out, settings)
    out["value_band"] = value_band(out["value"], settings) if len(out) else pd.Series(dtype="object")
    out = out.merge(tiers, on=["play_kind", "value_band"], how="left")
    out = out.sort_values(
        ["priority_score", "days_to_renewal", "revenue_at_risk", "account_id"],
        ascending=[False, True, False, True],
        na_position="last",
    ).reset_index(drop=True)
    out["priority_rank"] = np.arange(1, len(out) + 1, dtype="int64")
    out["queue"] = out["account_owner"].fillna(UNASSIGNED)
    out["owner_rank"] = (out.groupby("queue", sort=False).cumcount() + 1).astype("int64")
    return out


def method_scores(
    accounts: pd.DataFrame, settings: WorklistSettings, horizon_days: int
) -> dict[str, pd.Series]:
    """The score of each ordering the worklist's effectiveness compares, by method name: expected_loss
    (with the settings' value and urgency), health_x_lifetime_value and churn_likelihood_x_mrr."""
    expected_loss = settings.model_copy(update={"priority_method": "expected_loss"})
    scored = with_values(accounts, expected_loss, horizon_days)
    return {
        "expected_loss": priority_score(scored, expected_loss),
        "health_x_lifetime_value": health_x_lifetime_value(scored["health_score"], scored["lifetime_value"]),
        "churn_likelihood_x_mrr": scored["churn_likelihood"].astype("float64")
        * scored["mrr"].astype("float64"),
    }
