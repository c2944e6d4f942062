"""The point-in-time guard: a training row may only use what was known on its snapshot date."""

from __future__ import annotations

import pandas as pd


class LeakageError(ValueError):
    """Training rows whose features come from after their snapshot date."""


def check_point_in_time(
    snapshot_dates: pd.Series, feature_dates: pd.Series, ids: pd.Series | None = None
) -> None:
    """Raise `LeakageError` if any row's features are dated after its snapshot.

    A model trained on features from the future validates brilliantly and
    predicts nothing; this catches it before fitting. ``ids`` (e.g. the
    account) name the offending rows in the message.
    """
    snapshots = pd.to_datetime(snapshot_dates)
    features = pd.to_datetime(feature_dates)
    leaking = features > snapshots
    if leaking.any():
        rows = pd.DataFrame(
            {"id": ids if ids is not None else snapshots.index, "snapshot": snapshots, "features": features}
        )
        examples = rows[leaking].head(5).to_dict("records")
        raise LeakageError(
            f"{int(leaking.sum())} training rows have features from after their snapshot date, e.g. "
            f"{examples}. Features must be as of the snapshot day or earlier: fix the model that builds them."
        )
