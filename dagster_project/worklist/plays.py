"""One play per account: the first play of ``seeds/worklist_plays.csv``, by precedence, whose trigger holds.

A trigger is a fact about the account on the day (thresholds in ``seeds/worklist_settings.csv``):

- ``payment_problem``: an open invoice past due, or a failed payment in the last 90 days.
- ``material_risk``: churn likelihood at or above ``material_risk``.
- ``health_falling``: health below ``low_health_below`` and down ``alert_health_drop_points`` or more
  in 30 days.
- ``low_adoption``: engagement below the peers' average (the comparison of the account's signal).
- ``expansion_ready``: engagement at or above the ``expansion_percentile`` of the peers (75th).
- ``always``: every account; the last play, so that each account gets one.

Analysts order the plays, name them, choose whether each is a save or a grow play (which decides the
priority tier) and write their actions in the seed; the triggers themselves are these. Each account
gets exactly one play, with the one fact that triggered it in words (``play_reason``), so no account is
told to save and to grow at once.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from dagster_project.worklist.settings import PLAY_KINDS, WorklistConfigError, WorklistSettings

PLAYS_SEED = "seeds/worklist_plays.csv"
# Differences smaller than this are ties (as in the signals' comparisons).
TIE = 1e-9


def _payment_problem(a: pd.DataFrame, s: WorklistSettings) -> pd.Series:
    return (a["open_past_due_invoices"].fillna(0) > 0) | (a["failed_invoices_90d"].fillna(0) > 0)


def _material_risk(a: pd.DataFrame, s: WorklistSettings) -> pd.Series:
    return a["churn_likelihood"].astype("float64") >= s.material_risk


def _health_falling(a: pd.DataFrame, s: WorklistSettings) -> pd.Series:
    change = a["health_score_change_30d"].astype("float64")
    return (a["health_score"].astype("float64") < s.low_health_below) & (
        change <= -s.alert_health_drop_points
    )


def _low_adoption(a: pd.DataFrame, s: WorklistSettings) -> pd.Series:
    return a["peer_engagement_score"] - a["engagement_score"] > TIE


def _expansion_ready(a: pd.DataFrame, s: WorklistSettings) -> pd.Series:
    return a["engagement_percentile"].astype("float64") >= s.expansion_percentile


def _always(a: pd.DataFrame, s: WorklistSettings) -> pd.Series:
    return pd.Series(True, index=a.index)


TRIGGERS: dict[str, Callable[[pd.DataFrame, WorklistSettings], pd.Series]] = {
    "payment_problem": _payment_problem,
    "material_risk": _material_risk,
    "health_falling": _health_falling,
    "low_adoption": _low_adoption,
    "expansion_ready": _expansion_ready,
    "always": _always,
}
PLAY_INPUTS = (
    "open_past_due_invoices",
    "days_past_due",
    "failed_invoices_90d",
    "churn_likelihood",
    "peer_churn_likelihood",
    "health_score",
    "health_score_change_30d",
    "grade",
    "engagement_score",
    "peer_engagement_score",
    "engagement_percentile",
    "peer_group",
    "mrr",
    "peer_arpu",
)


def check_plays(plays: pd.DataFrame) -> pd.DataFrame:
    """The plays in order of precedence; raises naming what is wrong with the seed."""
    problems = []
    unknown = sorted(set(plays["trigger"]) - set(TRIGGERS))
    if unknown:
        problems.append(f"unknown triggers {unknown} (known: {', '.join(TRIGGERS)})")
    repeated = sorted(plays.loc[plays["trigger"].duplicated(), "trigger"])
    if repeated:
        problems.append(f"triggers used twice {repeated}")
    if plays["precedence"].duplicated().any():
        problems.append("two plays share a precedence")
    kinds = sorted(set(plays["play_kind"]) - set(PLAY_KINDS))
    if kinds:
        problems.append(f"play_kind must be save or grow, not {kinds}")
    ordered = plays.sort_values("precedence").reset_index(drop=True)
    always = ordered.index[ordered["trigger"] == "always"]
    if len(always) == 0:
        problems.append("no play with the trigger 'always': some accounts would get no play")
    elif always[0] != len(ordered) - 1:
        problems.append(f"the plays after 'always' never apply: {ordered['play'][always[0] + 1 :].tolist()}")
    if problems:
        raise WorklistConfigError(f"{PLAYS_SEED}: {'; '.join(problems)}. Correct the seed and re-run.")
    return ordered[["precedence", "play", "play_kind", "trigger", "action"]]


def assign_plays(
    accounts: pd.DataFrame, plays: pd.DataFrame, settings: WorklistSettings, horizon_days: int
) -> pd.DataFrame:
    """``accounts`` (with `PLAY_INPUTS`) with its play: play, play_kind, play_action, play_trigger and
    play_reason (the fact that triggered it, in words). ``plays`` is the checked seed (`check_plays`);
    ``horizon_days`` is the churn likelihood's horizon."""
    missing = [c for c in PLAY_INPUTS if c not in accounts.columns]
    if missing:
        raise KeyError(f"play inputs lack the columns {missing}")
    if accounts.empty:
        return accounts.assign(
            **{
                c: pd.Series(dtype="object")
                for c in ("play", "play_kind", "play_action", "play_trigger", "play_reason")
            }
        )
    conditions = [TRIGGERS[t](accounts, settings).fillna(False).to_numpy(bool) for t in plays["trigger"]]
    chosen = np.select(conditions, np.arange(len(plays)), default=len(plays) - 1)
    picked = plays.iloc[chosen].reset_index(drop=True)
    out = accounts.copy()
    out["play"] = picked["play"].to_numpy()
    out["play_kind"] = picked["play_kind"].to_numpy()
    out["play_action"] = picked["action"].to_numpy()
    out["play_trigger"] = picked["trigger"].to_numpy()
    out["play_reason"] = [
        trigger_fact(trigger, row, horizon_days)
        for trigger, row in zip(picked["trigger"], out.itertuples(), strict=True)
    ]
    return out


def trigger_fact(trigger: str, row, horizon_days: int) -> str:
    """The fact behind ``trigger`` for one account, with its number and comparison."""
    if trigger == "payment_problem":
        past_due = _count(row.open_past_due_invoices)
        if past_due:
            days = f", {int(row.days_past_due)} days overdue" if pd.notna(row.days_past_due) else ""
            return f"{_plural(past_due, 'invoice')} past due{days}"
        return f"{_plural(_count(row.failed_invoices_90d), 'failed payment')} in 90 days"
    if trigger == "material_risk":
        return risk_fact(row.churn_likelihood, row.peer_churn_likelihood, row.peer_group, horizon_days)
    if trigger == "health_falling":
        return f"health {row.health_score:.0f}, down {-row.health_score_change_30d:.0f} points in 30 days"
    if trigger in ("low_adoption", "expansion_ready"):
        fact = (
            f"engagement at the {ordinal(row.engagement_percentile)} percentile of {_peers(row.peer_group)}"
        )
        if trigger == "expansion_ready" and _below(row.mrr, row.peer_arpu):
            fact += f", MRR {row.mrr:,.0f} vs {row.peer_arpu:,.0f} on average"
        return fact
    return f"no save or growth trigger (grade {row.grade}, health {row.health_score:.0f})"


def risk_fact(likelihood: float, peer_likelihood: float, peer_group: str, horizon_days: int) -> str:
    """``churn risk 32% in 90 days vs 6% in segment smb``; no comparison when both show the same number."""
    shown = round(100 * likelihood)
    peer = round(100 * peer_likelihood) if pd.notna(peer_likelihood) else None
    versus = "" if peer is None or peer == shown else f" vs {peer}% in {_peers(peer_group)}"
    return f"churn risk {shown}% in {horizon_days} days{versus}"


def ordinal(percentile: float) -> str:
    """12.3 -> '12th', 21 -> '21st'; 'unknown' for a missing value."""
    if pd.isna(percentile):
        return "unknown"
    n = round(percentile)
    suffix = "th" if n % 100 in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _peers(peer_group) -> str:
    if not isinstance(peer_group, str) or peer_group == "all accounts":
        return "all accounts"
    return f"segment {peer_group}"


def _below(value, average) -> bool:
    return pd.notna(value) and pd.notna(average) and average - value > TIE


def _count(value) -> int:
    return 0 if pd.isna(value) else int(value)


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
