"""The worklist's order, values, tiers, ranks and queues on hand-made accounts (expected values by hand)."""

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
HANDBOOK = WorklistSettings(priority_method="health_x_lifetime_value")


def accounts(rows: list[tuple], days_to_renewal=None, play_kind="grow") -> pd.DataFrame:
    columns = ["account_id", "account_owner", "health_score", "lifetime_value", "mrr", "churn_likelihood"]
    return pd.DataFrame(rows, columns=columns).assign(days_to_renewal=days_to_renewal, play_kind=play_kind)


def test_the_handbooks_score_puts_c_then_a_then_b():
    worklist = prioritize(
        accounts(
            [
                ("A", "x", 90, 200_000, 1000, 0.1),
                ("B", "x", 80, 10_000, 1000, 0.1),
                ("C", "x", 50, 250_000, 1000, 0.1),
            ]
        ),
        HANDBOOK,
        TIERS,
        horizon_days=90,
    )
    assert worklist["account_id"].tolist() == ["C", "A", "B"]
    assert worklist["priority_rank"].tolist() == [1, 2, 3]
    # (100 - health) / 100 x lifetime value: 0.5 x 250,000; 0.1 x 200,000; 0.2 x 10,000.
    assert worklist["priority_score"].tolist() == pytest.approx([125_000, 20_000, 2_000])


@pytest.mark.parametrize("value", ["lifetime_value", "annual_revenue"])
def test_the_handbooks_example_still_holds_under_expected_loss(value):
    # Health 50 with 250,000, health 90 with 200,000, health 80 with 10,000 (lifetime value, and the same
    # as annual revenue: MRR = value / 12), churn likelihoods rising as health falls: 20%, 2%, 5%.
    worklist = prioritize(
        accounts(
            [
                ("A", "x", 90, 200_000, 200_000 / 12, 0.02),
                ("B", "x", 80, 10_000, 10_000 / 12, 0.05),
                ("C", "x", 50, 250_000, 250_000 / 12, 0.20),
            ]
        ),
        WorklistSettings(priority_value=value),
        TIERS,
        horizon_days=90,
    )
    assert worklist["account_id"].tolist() == ["C", "A", "B"]
    # 0.2 x 250,000; 0.02 x 200,000; 0.05 x 10,000 (no renewal date: no urgency).
    assert worklist["priority_score"].tolist() == pytest.approx([50_000, 4_000, 500])


def test_a_renewal_within_the_urgency_window_weighs_more():
    # p 0.1 and MRR 100 (1,200 a year) each; urgency 1 + 0.1 x (90 - days) / 90 for days within 90.
    worklist = prioritize(
        accounts(
            [("later", "o", 50, 0, 100, 0.1), ("none", "o", 50, 0, 100, 0.1), ("half", "o", 50, 0, 100, 0.1),
             ("today", "o", 50, 0, 100, 0.1)],
            days_to_renewal=[120, None, 45, 0],
        ),
        WorklistSettings(renewal_urgency_days=90, renewal_urgency_weight=0.1),
        TIERS,
        horizon_days=90,
    )  # fmt: skip
    assert worklist["account_id"].tolist() == ["today", "half", "later", "none"]
    assert worklist["priority_score"].tolist() == pytest.approx([132, 126, 120, 120])


def test_ranks_within_each_queue_follow_the_overall_order_and_no_owner_is_the_unassigned_queue():
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
        HANDBOOK,
        TIERS,
        horizon_days=90,
    )
    # Scores: C 125,000; E 80,000; A 20,000; B 2,000; D 600.
    assert worklist["account_id"].tolist() == ["C", "E", "A", "B", "D"]
    queues = dict(zip(worklist["account_id"], worklist["queue"], strict=True))
    assert queues == {"C": "xavier", "E": "unassigned", "A": "yara", "B": "xavier", "D": "unassigned"}
    ranks = dict(zip(worklist["account_id"], worklist["owner_rank"], strict=True))
    assert ranks == {"C": 1, "B": 2, "A": 1, "E": 1, "D": 2}


def test_equal_expected_losses_go_to_the_sooner_renewal_by_default():
    # p 0.1 x 1,200 a year each: equal scores without urgency (weight 0); the sooner renewal first, and
    # an account without a renewal date last.
    worklist = prioritize(
        accounts(
            [("late", "o", 50, 0, 100, 0.1), ("none", "o", 50, 0, 100, 0.1), ("soon", "o", 50, 0, 100, 0.1)],
            days_to_renewal=[200, None, 3],
        ),
        WorklistSettings(),
        TIERS,
        horizon_days=90,
    )
    assert worklist["priority_score"].tolist() == pytest.approx([120, 120, 120])
    assert worklist["account_id"].tolist() == ["soon", "late", "none"]


def test_equal_scores_are_ordered_by_revenue_at_risk_then_account():
    worklist = prioritize(
        accounts(
            [("b", "o", 50, 1000, 100, 0.5), ("a", "o", 50, 1000, 100, 0.5), ("c", "o", 50, 1000, 300, 0.5)]
        ),
        HANDBOOK,
        TIERS,
        horizon_days=90,
    )
    assert worklist["account_id"].tolist() == ["c", "a", "b"]


def test_revenue_at_risk_and_expected_future_value():
    worklist = prioritize(
        accounts([("a", "o", 50, 1000, 100, 0.271), ("b", "o", 50, 1000, 100, 0.0)]),
        WorklistSettings(future_value_months=36, priority_value="expected_future_value"),
        TIERS,
        horizon_days=THREE_MONTHS,
    ).set_index("account_id")
    # 100 x 12 x 0.271 = 325.2; nothing at risk at likelihood 0.
    assert worklist["revenue_at_risk"].tolist() == pytest.approx([325.2, 0.0])
    # 1 - 0.271 = 0.9 ** 3: monthly churn 0.1, so 10 expected months of MRR 100; likelihood 0 hits the cap.
    assert worklist.loc["a", "expected_future_value"] == pytest.approx(1000)
    assert worklist.loc["b", "expected_future_value"] == pytest.approx(3600)
    # Expected loss weighs that value: 0.271 x 1,000; 0 x 3,600.
    assert worklist.loc["a", "priority_score"] == pytest.approx(271)
    assert worklist.loc["b", "priority_score"] == 0


def test_expected_future_value_is_capped():
    likelihood = pd.Series([0.271, 0.271])
    capped = expected_future_value(pd.Series([100, 200]), likelihood, THREE_MONTHS, cap_months=6)
    assert capped.tolist() == pytest.approx([600, 1200])


def test_tiers_come_from_the_play_kind_and_the_value_band():
    # Annual revenues 1,200, 2,400, 12,000, 24,000 (MRR x 12): the 50th percentile is 7,200.
    book = accounts(
        [
            ("save", "o", 50, 0, 2000, 0.1),  # save play, high value
            ("protect", "o", 90, 0, 1000, 0.1),  # grow play, high value
            ("digital", "o", 40, 0, 100, 0.1),  # save play, low value
            ("automate", "o", 80, 0, 200, 0.1),  # grow play, low value
        ],
        play_kind=["save", "grow", "save", "grow"],
    )
    worklist = prioritize(book, WorklistSettings(high_value_percentile=50), TIERS, horizon_days=90)
    worklist = worklist.set_index("account_id")
    assert worklist["priority_tier"].to_dict() == {
        "save": "P1",
        "protect": "P2",
        "digital": "P3",
        "automate": "P4",
    }
    assert worklist.loc["save", "tier_name"] == "save now"
    # Health no longer sets the tier: the healthy account with a save play is still P1 or P3.
    assert worklist.loc["protect", "health_score"] > worklist.loc["save", "health_score"]
    # A minimum above every value makes every account low value.
    all_low = prioritize(
        book, WorklistSettings(high_value_percentile=0, high_value_minimum=1_000_000), TIERS, horizon_days=90
    )
    assert set(all_low["value_band"]) == {"low"}


def test_settings_are_read_from_the_seed_and_bad_values_name_the_file():
    seed = pd.read_csv(ROOT / "seeds" / "worklist_settings.csv")
    assert parse_settings(seed) == WorklistSettings()
    bad = seed.assign(value=seed["value"].where(seed["setting"] != "signal_peer_group", "plan"))
    with pytest.raises(WorklistConfigError, match=r"seeds/worklist_settings.csv: signal_peer_group = 'plan'"):
        parse_settings(bad)
    method = seed.assign(value=seed["value"].where(seed["setting"] != "priority_method", "health"))
    with pytest.raises(WorklistConfigError, match=r"priority_method = 'health'"):
        parse_settings(method)
    with pytest.raises(WorklistConfigError, match=r"no row for \['future_value_months'\]"):
        parse_settings(seed[seed["setting"] != "future_value_months"])


def test_tiers_and_actions_must_cover_every_case():
    tiers = pd.read_csv(ROOT / "seeds" / "priority_tiers.csv")
    with pytest.raises(WorklistConfigError, match="save play, high value"):
        check_priority_tiers(tiers[tiers["priority_tier"] != "P1"])
    actions = pd.read_csv(ROOT / "seeds" / "signal_actions.csv")
    assert set(check_signal_actions(actions)) == {"RISK", "OPPORTUNITY", "POWER_USER", "NONE"}
    with pytest.raises(WorklistConfigError, match=r"\['POWER_USER'\]"):
        check_signal_actions(actions[actions["signal"] != "POWER_USER"])
