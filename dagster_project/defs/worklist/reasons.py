"""Why an account is on the worklist, in words a CSM reads in ten seconds: at most three reasons."""

from __future__ import annotations

import pandas as pd

from dagster_project.worklist.plays import risk_fact

MAX_REASONS = 3
# Grades whose low churn risk needs a reason when the renewal is beyond the risk's horizon.
POOR_GRADES = ("D", "F")


def worklist_reasons(accounts: pd.DataFrame, material_risk: float, horizon_days: int) -> pd.Series:
    """Per account: the fact that chose its play first, then its health, then its risk (only where the
    churn likelihood is at least ``material_risk``), or why a poor grade carries little risk (a renewal
    beyond the risk's horizon, else what holds the churn model's risk down), or the weakest part of its
    health; '; '-joined."""
    return pd.Series(
        [_reasons(row, material_risk, horizon_days) for row in accounts.itertuples()],
        index=accounts.index,
        dtype="object",
    )


def _reasons(row, material_risk: float, horizon_days: int) -> str:
    reasons = [row.play_reason]
    if row.play_trigger == "health_falling":
        reasons.append(f"grade {row.grade}")
    else:
        reasons.append(
            f"grade {row.grade}, health {row.health_score:.0f}{_change(row.health_score_change_30d)}"
        )
    material = pd.notna(row.churn_likelihood) and row.churn_likelihood >= material_risk
    if material and row.play_trigger != "material_risk":
        reasons.append(
            risk_fact(row.churn_likelihood, row.peer_churn_likelihood, row.peer_group, horizon_days)
        )
    elif material and _text(row.churn_drivers):
        reasons.append(f"risk driven most by {_first(row.churn_drivers)}")
    elif row.grade in POOR_GRADES and _renews_after(row, horizon_days):
        # Poor health but little risk: the contract cannot end within the risk's horizon.
        reasons.append(f"renews in {_months(row.days_to_renewal)}, after the {horizon_days}-day risk horizon")
    elif row.grade in POOR_GRADES and pd.notna(row.churn_likelihood) and _text(row.churn_held_down_by):
        # Poor health but little risk within the horizon: what the churn model saw that the grade does not.
        reasons.append(
            f"churn risk {round(100 * row.churn_likelihood)}% in {horizon_days} days, held down by "
            f"{_first(row.churn_held_down_by)}"
        )
    elif _text(row.health_drivers):
        reasons.append(f"weakest: {_first(row.health_drivers)}")
    return "; ".join(reasons[:MAX_REASONS])


def _renews_after(row, horizon_days: int) -> bool:
    return pd.notna(row.days_to_renewal) and row.days_to_renewal > horizon_days


def _months(days) -> str:
    months = round(days / (365.25 / 12))
    return "1 month" if months == 1 else f"{months} months"


def _first(drivers: str) -> str:
    """The strongest of the drivers (they are listed strongest first, '; '-separated)."""
    return drivers.split("; ")[0]


def _text(value) -> bool:
    return isinstance(value, str) and bool(value)


def _change(change) -> str:
    if pd.isna(change) or round(change) == 0:
        return ""
    return f" ({change:+.0f} in 30 days)"
