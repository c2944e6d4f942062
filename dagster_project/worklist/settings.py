"""The analysts' settings of the signals and the worklist, read from the seeds and checked."""

from __future__ import annotations

from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

SETTINGS_SEED = "seeds/worklist_settings.csv"
ACTIONS_SEED = "seeds/signal_actions.csv"
TIERS_SEED = "seeds/priority_tiers.csv"
SIGNALS = ("RISK", "OPPORTUNITY", "POWER_USER", "NONE")
BANDS = ("low", "high")


class WorklistConfigError(ValueError):
    """A seed of the worklist that is missing a row or holds a value that cannot be used."""


class WorklistSettings(BaseModel):
    """One value per row of ``seeds/worklist_settings.csv`` (see its descriptions there)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    signal_peer_group: Literal["segment", "all"] = "segment"
    low_health_below: float = Field(65.0, ge=0, le=100)
    high_value_percentile: float = Field(75.0, ge=0, le=100)
    high_value_minimum: float = Field(0.0, ge=0)
    future_value_months: int = Field(36, ge=1)
    alert_health_drop_points: float = Field(15.0, gt=0, le=100)


def parse_settings(rows: pd.DataFrame) -> WorklistSettings:
    """Settings from the seed's ``setting`` and ``value`` columns; every setting must be present."""
    values = dict(zip(rows["setting"], rows["value"], strict=True))
    missing = [name for name in WorklistSettings.model_fields if name not in values]
    if missing:
        raise WorklistConfigError(f"{SETTINGS_SEED}: no row for {missing}; add one per setting.")
    try:
        return WorklistSettings(**values)
    except ValidationError as error:
        problems = "; ".join(
            f"{e['loc'][0]} = {values.get(e['loc'][0])!r}: {e['msg']}" for e in error.errors()
        )
        raise WorklistConfigError(f"{SETTINGS_SEED}: {problems}. Correct the value and re-run.") from None


def check_signal_actions(actions: pd.DataFrame) -> dict[str, str]:
    """``signal -> action``; every signal must have exactly one row."""
    missing = [s for s in SIGNALS if s not in set(actions["signal"])]
    if missing:
        raise WorklistConfigError(f"{ACTIONS_SEED}: no action for the signals {missing}; add a row for each.")
    return dict(zip(actions["signal"], actions["action"], strict=True))


def check_priority_tiers(tiers: pd.DataFrame) -> pd.DataFrame:
    """The tiers, one per health band x value band; raises naming any combination without exactly one row."""
    counts = tiers.groupby(["health_band", "value_band"]).size()
    wrong = [
        f"{health} health, {value} value ({counts.get((health, value), 0)} rows)"
        for health in BANDS
        for value in BANDS
        if counts.get((health, value), 0) != 1
    ]
    if wrong:
        raise WorklistConfigError(
            f"{TIERS_SEED}: each health band x value band needs exactly one tier; not so for {wrong}."
        )
    return tiers[["priority_tier", "health_band", "value_band", "tier_name", "recommended_action"]]
