"""The worklist's order, values, tiers and ranks on hand-made accounts (expected values by hand)."""

from __future__ import annotations

import pandas as pd
import pytest

from dagster_project.worklist.priority import expected_future_value, prioritize
from dagster_project.worklist.settings import (
    WorklistConfigError,
    WorklistSettings,
    check_priority_tiers,
    check_signal_actions,
    parse_settings,
)
from tests.conftest import ROOT

TIERS = check_priority_tiers(pd.read_csv(ROOT / "seeds" / "priority_tiers.csv"))
# 3 months of 30.4375 days: the monthly churn probability is then 1 - (1 - p) ** (1 / 3).
THREE_MONTHS = 3 * 365.25 / 12


def accounts(rows: list[tuple]) -> pd.DataFrame:
    columns = ["account_id", "account_owner", "health_score", "lifetime_value", "mrr", "churn_likelihood"]
    return pd.DataFrame(rows, columns=columns)


def test_low_health_high_value_comes_first_c_then_a_then_b():
    worklist = prioritize(
        accounts(
            [
                ("A", "x", 90, 200_000, 1000, 0.1),
                ("B", "x", 80, 10_000, 1000, 0.1),
                ("C", "x", 50, 250_000, 1000, 0.1),
            ]
        ),
        WorklistSettings(),
        TIERS,
        horizon_days=90,
    )
    assert worklist["account_id"].tolist() == ["C", "A", "B"]
    assert worklist["priority_rank"].tolist() == [1, 2, 3]
    # (100 - health) / 100 x lifetime value: 0.5 x 250,000; 0.1 x 200,000; 0.2 x 10,000.
    assert worklist["priority_score"].tolist() == pytest.approx([125_000, 20_000, 2_000])


def test_ranks_within_each_owner_follow_the_overall_order():
    worklist = prioritize(
        accounts(
            [
                ("A", "yara", 90, 200_000, 1000, 0.1),
                ("B", "xavier", 80, 10_000, 1000, 0.1),
                ("C", "xavier", 50, 250_000, 1000, 0.1),
                ("D", None, 40, 1_000, 100, 0.1),
                ("E", None, 20, 100_000, 100, 0.1),
            ]
        ),
        WorklistSettings(),
        TIERS,
        horizon_days=90,
    )
    # Scores: C 125,000; E 80,000; A 20,000; B 2,000; D 600.
    assert worklist["account_id"].tolist() == ["C", "E", "A", "B", "D"]
    ranks = dict(zip(worklist["account_id"], worklist["owner_rank"], strict=True))
    assert ranks == {"C": 1, "B": 2, "A": 1, "E": 1, "D": 2}


def test_equal_scores_are_ordered_by_revenue_at_risk_then_account():
    worklist = prioritize(
        accounts(
            [("b", "o", 50, 1000, 100, 0.5), ("a", "o", 50, 1000, 100, 0.5), ("c", "o", 50, 1000, 300, 0.5)]
        ),
        WorklistSettings(),
        TIERS,
        horizon_days=90,
    )
    assert worklist["account_id"].tolist() == ["c", "a", "b"]


def test_revenue_at_risk_and_expected_future_value():
    worklist = prioritize(
        accounts([("a", "o", 50, 1000, 100, 0.271), ("b", "o", 50, 1000, 100, 0.0)]),
        WorklistSettings(future_value_months=36),
        TIERS,
        horizon_days=THREE_MONTHS,
    ).set_index("account_id")
    # 100 x 12 x 0.271 = 325.2; nothing at risk at likelihood 0.
    assert worklist["revenue_at_risk"].tolist() == pytest.approx([325.2, 0.0])
    # 1 - 0.271 = 0.9 ** 3: monthly churn 0.1, so 10 expected months of MRR 100; likelihood 0 hits the cap.
    assert worklist.loc["a", "expected_future_value"] == pytest.approx(1000)
    assert worklist.loc["b", "expected_future_value"] == pytest.approx(3600)


def test_expected_future_value_is_capped():
    likelihood = pd.Series([0.271, 0.271])
    capped = expected_future_value(pd.Series([100, 200]), likelihood, THREE_MONTHS, cap_months=6)
    assert capped.tolist() == pytest.approx([600, 1200])


def test_tiers_come_from_the_health_band_and_the_value_band():
    # Lifetime values 5,000, 10,000, 200,000, 250,000: the 50th percentile is 105,000.
    worklist = prioritize(
        accounts(
            [
                ("save", "o", 50, 250_000, 100, 0.1),  # low health, high value
                ("protect", "o", 90, 200_000, 100, 0.1),  # high health, high value
                ("digital", "o", 40, 5_000, 100, 0.1),  # low health, low value
                ("automate", "o", 80, 10_000, 100, 0.1),  # high health, low value
            ]
        ),
        WorklistSettings(low_health_below=65, high_value_percentile=50),
        TIERS,
        horizon_days=90,
    ).set_index("account_id")
    assert worklist["priority_tier"].to_dict() == {
        "save": "P1",
        "protect": "P2",
        "digital": "P3",
        "automate": "P4",
    }
    assert worklist.loc["save", "tier_name"] == "save now"
    # A minimum above every lifetime value makes every account low value.
    all_low = prioritize(
        accounts([("a", "o", 50, 250_000, 100, 0.1), ("b", "o", 90, 200_000, 100, 0.1)]),
        WorklistSettings(high_value_percentile=0, high_value_minimum=1_000_000),
        TIERS,
        horizon_days=90,
    )
    assert set(all_low["value_band"]) == {"low"}


def test_the_health_threshold_is_exclusive():
    worklist = prioritize(
        accounts([("at", "o", 65, 100, 10, 0.1), ("below", "o", 64.99, 100, 10, 0.1)]),
        WorklistSettings(low_health_below=65),
        TIERS,
        horizon_days=90,
    ).set_index("account_id")
    assert worklist["health_band"].to_dict() == {"at": "high", "below": "low"}


def test_settings_are_read_from_the_seed_and_bad_values_name_the_file():
    seed = pd.read_csv(ROOT / "seeds" / "worklist_settings.csv")
    assert parse_settings(seed) == WorklistSettings()
    bad = seed.assign(value=seed["value"].where(seed["setting"] != "signal_peer_group", "plan"))
    with pytest.raises(WorklistConfigError, match=r"seeds/worklist_settings.csv: signal_peer_group = 'plan'"):
        parse_settings(bad)
    with pytest.raises(WorklistConfigError, match=r"no row for \['future_value_months'\]"):
        parse_settings(seed[seed["setting"] != "future_value_months"])


def test_tiers_and_actions_must_cover_every_case():
    tiers = pd.read_csv(ROOT / "seeds" / "priority_tiers.csv")
    with pytest.raises(WorklistConfigError, match="low health, high value"):
        check_priority_tiers(tiers[tiers["priority_tier"] != "P1"])
    actions = pd.read_csv(ROOT / "seeds" / "signal_actions.csv")
    assert set(check_signal_actions(actions)) == {"RISK", "OPPORTUNITY", "POWER_USER", "NONE"}
    with pytest.raises(WorklistConfigError, match=r"\['POWER_USER'\]"):
        check_signal_actions(actions[actions["signal"] != "POWER_USER"])
