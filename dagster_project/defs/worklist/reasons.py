"""Why an account is on the worklist, in words: health, churn likelihood and signal."""

from __future__ import annotations

import pandas as pd


def worklist_reasons(accounts: pd.DataFrame) -> pd.Series:
    """One sentence list per account from its health (grade, score, 30-day change, drivers), its churn
    likelihood against the segment (and the model's drivers) and its signal."""
    return pd.Series([_reason(row) for row in accounts.itertuples()], index=accounts.index, dtype="object")


def _reason(row) -> str:
    parts = [f"grade {row.grade} (health {row.health_score:.0f}{_change(row.health_score_change_30d)})"]
    if isinstance(row.health_drivers, str) and row.health_drivers:
        parts.append(f"weakest: {row.health_drivers}")
    if pd.notna(row.churn_likelihood):
        ratio = row.likelihood_to_segment
        versus = f", {ratio:.1f}x the segment" if pd.notna(ratio) else ""
        parts.append(f"churn likelihood {row.churn_likelihood:.0%}{versus}")
    if isinstance(row.churn_drivers, str) and row.churn_drivers:
        parts.append(f"churn drivers: {row.churn_drivers}")
    if isinstance(row.signal, str) and row.signal != "NONE":
        parts.append(f"signal {row.signal}")
    return "; ".join(parts)


def _change(change) -> str:
    if pd.isna(change) or round(change) == 0:
        return ""
    return f", {change:+.0f} in 30 days"
