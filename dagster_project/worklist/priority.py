"""The prioritised worklist: lifetime value, revenue at risk, priority score, tiers and ranks.

Definitions (all per account on the as-of date; money in the reporting currency):

- **lifetime_value**: revenue to date, the sum of the account's paid invoices.
- **expected_future_value** = MRR x min(1 / m, ``future_value_months``), where
  m = 1 - (1 - p) ^ (1 / horizon_months) is the monthly churn probability
  implied by the churn likelihood p over the model's horizon (90 days is
  2.96 months). With a constant monthly churn probability an account stays
  1 / m more months on average (a geometric lifetime); the cap keeps an
  account with a likelihood near 0 from being worth decades of MRR.
- **revenue_at_risk** = MRR x 12 x churn likelihood: the annual revenue
  expected to be lost.
- **priority_score** = (100 - health score) / 100 x lifetime value: the part
  of the value the account has brought that its health puts in doubt. Low
  health and high value both raise it, so a health-50 account worth 250,000
  (score 125,000) comes before a health-90 one worth 200,000 (20,000), which
  comes before a health-80 one worth 10,000 (2,000).
- **priority tier** from the health band (low below ``low_health_below``) and
  the value band (high when the lifetime value is at or above the
  ``high_value_percentile`` of the day's accounts and at least
  ``high_value_minimum``); the tiers and their actions come from
  ``seeds/priority_tiers.csv``.
- **priority_rank**: 1 for the highest priority score, ties broken by revenue
  at risk and then account id, so the order is total and repeatable;
  **owner_rank** is the same order within each account owner (accounts
  without an owner form one group).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dagster_project.worklist.settings import WorklistSettings

DAYS_PER_MONTH = 365.25 / 12
UNASSIGNED = "(no owner)"


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


def priority_score(health_score: pd.Series, lifetime_value: pd.Series) -> pd.Series:
    """(100 - health) / 100 x lifetime value: high when health is low and value is high."""
    return (100 - health_score.astype("float64")) / 100 * lifetime_value.astype("float64")


def value_band(lifetime_value: pd.Series, settings: WorklistSettings) -> pd.Series:
    """``high`` at or above the day's percentile threshold (and the minimum), else ``low``."""
    values = lifetime_value.astype("float64")
    threshold = max(
        float(np.nanpercentile(values, settings.high_value_percentile)), settings.high_value_minimum
    )
    return pd.Series(np.where(values >= threshold, "high", "low"), index=lifetime_value.index)


def health_band(health_score: pd.Series, settings: WorklistSettings) -> pd.Series:
    """``low`` below the threshold, else ``high``."""
    return pd.Series(
        np.where(health_score.astype("float64") < settings.low_health_below, "low", "high"),
        index=health_score.index,
    )


def prioritize(
    accounts: pd.DataFrame, settings: WorklistSettings, tiers: pd.DataFrame, horizon_days: int
) -> pd.DataFrame:
    """The worklist of one day, highest priority first.

    ``accounts`` has one row per account: account_id, account_owner,
    health_score, lifetime_value, mrr and churn_likelihood (other columns are
    kept). ``tiers`` is the checked ``priority_tiers`` seed. Adds
    expected_future_value, revenue_at_risk, priority_score, health_band,
    value_band, priority_tier, tier_name, tier_action, priority_rank and owner_rank.
    """
    if accounts.empty:
        return accounts.assign(
            **{
                c: pd.Series(dtype="object")
                for c in ("health_band", "value_band", "priority_tier", "tier_name")
            },
            expected_future_value=pd.Series(dtype="float64"),
            revenue_at_risk=pd.Series(dtype="float64"),
            priority_score=pd.Series(dtype="float64"),
            tier_action=pd.Series(dtype="object"),
            priority_rank=pd.Series(dtype="int64"),
            owner_rank=pd.Series(dtype="int64"),
        )
    out = accounts.copy()
    likelihood = out["churn_likelihood"].astype("float64")
    out["expected_future_value"] = expected_future_value(
        out["mrr"], likelihood, horizon_days, settings.future_value_months
    )
    out["revenue_at_risk"] = out["mrr"].astype("float64") * 12 * likelihood
    out["priority_score"] = priority_score(out["health_score"], out["lifetime_value"])
    out["health_band"] = health_band(out["health_score"], settings)
    out["value_band"] = value_band(out["lifetime_value"], settings)
    out = out.merge(
        tiers.rename(columns={"recommended_action": "tier_action"}),
        on=["health_band", "value_band"],
        how="left",
    )
    out = out.sort_values(
        ["priority_score", "revenue_at_risk", "account_id"],
        ascending=[False, False, True],
        na_position="last",
    ).reset_index(drop=True)
    out["priority_rank"] = np.arange(1, len(out) + 1)
    owners = out["account_owner"].fillna(UNASSIGNED)
    out["owner_rank"] = out.groupby(owners, sort=False).cumcount() + 1
    return out
