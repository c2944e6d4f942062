"""Does the worklist catch the revenue that leaves? Capture of churn by the top of the list, per method.

For every past snapshot (a day whose outcome is known), the accounts are ordered by a method's score,
highest first (ties by account id). The top ``ceil(share x accounts)`` of the day's list are the accounts
a team working that share of the list would have reached. Pooled over the snapshots:

- ``churned_mrr_share``: the MRR (on the snapshot day) of the churners in the top, over the MRR of all
  churners;
- ``churner_share``: the churners in the top over all churners.

A random order is not drawn: its expected capture is the top's share of each day's list (n / accounts),
weighted as above, so the figure is exact and repeatable. ``segment`` 'all' orders the whole book; a
segment's rows order that segment's accounts alone (its own list).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

LIST_SHARES = (0.05, 0.10, 0.20, 0.50)
RANDOM = "random"
# What a snapshot row needs: the day, the account, its segment, its MRR that day and whether it churned.
SNAPSHOT_COLUMNS = ("as_of_date", "account_id", "segment", "mrr", "churned")


def capture_table(
    snapshots: pd.DataFrame, scores: dict[str, pd.Series], default: str, shares=LIST_SHARES
) -> pd.DataFrame:
    """One row per method (each of ``scores``, plus the random order) x segment ('all' and each one) x
    list share: method, is_default, segment, list_share, churned_mrr_share, churner_share, snapshots,
    account_snapshots, churners and churned_mrr. Shares are None where no account churned."""
    missing = [c for c in SNAPSHOT_COLUMNS if c not in snapshots.columns]
    if missing:
        raise KeyError(f"capture snapshots lack the columns {missing}")
    rows = []
    scopes = [("all", snapshots.index)] + [
        (segment, group.index) for segment, group in snapshots.groupby("segment", sort=True)
    ]
    for method in [*scores, RANDOM]:
        for segment, index in scopes:
            scoped = snapshots.loc[index]
            score = None if method == RANDOM else scores[method].loc[index]
            for share in shares:
                rows.append(
                    {
                        "method": method,
                        "is_default": method == default,
                        "segment": segment,
                        "list_share": share,
                        **_captured(scoped, score, share),
                    }
                )
    return pd.DataFrame(rows)


def _captured(snapshots: pd.DataFrame, score: pd.Series | None, share: float) -> dict:
    churned = snapshots["churned"].astype("int64").to_numpy()
    mrr = snapshots["mrr"].astype("float64").fillna(0).to_numpy()
    accounts = snapshots["account_id"].to_numpy()
    risk = None if score is None else -score.to_numpy("float64")
    caught_mrr = caught = 0.0
    for _, day in snapshots.groupby("as_of_date", sort=True).indices.items():
        top = math.ceil(share * len(day))
        if risk is None:
            weight = top / len(day)
            caught_mrr += weight * float((mrr[day] * churned[day]).sum())
            caught += weight * float(churned[day].sum())
            continue
        order = np.lexsort((accounts[day], risk[day]))
        chosen = day[order[:top]]
        caught_mrr += float((mrr[chosen] * churned[chosen]).sum())
        caught += float(churned[chosen].sum())
    churned_mrr = float((mrr * churned).sum())
    churners = int(churned.sum())
    return {
        "churned_mrr_share": caught_mrr / churned_mrr if churned_mrr > 0 else None,
        "churner_share": caught / churners if churners else None,
        "snapshots": int(snapshots["as_of_date"].nunique()),
        "account_snapshots": len(snapshots),
        "churners": churners,
        "churned_mrr": churned_mrr,
    }
