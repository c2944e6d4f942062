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
# What a play does with the account: save it (P1, P3) or keep and grow it (P2, P4).
PLAY_KINDS = ("save", "grow")
PriorityMethod = Literal["expected_loss", "health_x_lifetime_value"]
PriorityValue = Literal["annual_revenue", "expected_future_value", "lifetime_value"]


class WorklistConfigError(ValueError):
    """A seed of the worklist that is missing a row or holds a value that cannot be used."""


class WorklistSettings(BaseModel):
    """One value per row of ``seeds/worklist_settings.csv`` (see its descriptions there)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    signal_peer_group: Literal["segment", "all"] = "segment"
    priority_method: PriorityMethod = "expected_loss"
    priority_value: PriorityValue = "annual_revenue"
    renewal_urgency_days: int = Field(90, ge=1)
    renewal_urgency_weight: float = Field(0.0, ge=0)
    material_risk: float = Field(0.10, gt=0, le=1)
    expansion_percentile: float = Field(75.0, ge=0, le=100)
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
    """The tiers, one per play kind x value band; raises naming any combination without exactly one row."""
    counts = tiers.groupby(["play_kind", "value_band"]).size()
    wrong = [
        f"{kind} play, {value} value ({counts.get((kind, value), 0)} rows)"
        for kind in PLAY_KINDS
        for value in BANDS
        if counts.get((kind, value), 0) != 1
    ]
    if wrong:
        raise WorklistConfigError(
            f"{TIERS_SEED}: each play kind (save, grow) x value band (low, high) needs exactly one tier; "
            f"not so for {wrong}."
        )
    return tiers[["priority_tier", "play_kind", "value_band", "tier_name"]]
