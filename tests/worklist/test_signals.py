"""ProfitWell's signals on hand-made days: every branch, the ties, missing values, and the peer group.

Expected values are worked out by hand from the rows below (averages in the comments).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from dagster_project.worklist.signals import assign_signals

DAY = date(2026, 6, 1)
ACTIONS = pd.DataFrame(
    {"signal": ["RISK", "OPPORTUNITY", "POWER_USER", "NONE"], "action": ["save", "grow", "nurture", "none"]}
)


def day(rows: list[tuple], as_of: date = DAY) -> pd.DataFrame:
    columns = ["account_id", "segment", "churn_likelihood", "engagement_score", "mrr"]
    return pd.DataFrame(rows, columns=columns).assign(as_of_date=as_of)


def signals_of(frame: pd.DataFrame, peer_group: str = "segment") -> dict[str, str]:
    result = assign_signals(frame, ACTIONS, peer_group)
    return dict(zip(result["account_id"], result["signal"], strict=True))


def test_each_branch_against_the_segment_averages():
    # Segment s: likelihood average 0.15, engagement average 50, ARPU 300.
    frame = day(
        [
            ("risk", "s", 0.40, 10, 100),  # likelihood above, engagement below
            ("power", "s", 0.05, 90, 500),  # likelihood below, engagement and MRR above
            ("low_engagement", "s", 0.05, 30, 500),  # likelihood below, engagement below
            ("low_mrr", "s", 0.10, 70, 100),  # likelihood below, engagement above, MRR below ARPU
        ]
    )
    assert signals_of(frame) == {
        "risk": "RISK",
        "power": "POWER_USER",
        "low_engagement": "OPPORTUNITY",
        "low_mrr": "OPPORTUNITY",
    }


def test_the_reason_states_the_numbers_and_the_action_follows_the_signal():
    frame = day(
        [
            ("a", "s", 0.40, 10, 100),
            ("b", "s", 0.05, 90, 500),
            ("c", "s", 0.05, 30, 500),
            ("d", "s", 0.10, 70, 100),
        ]
    )
    result = assign_signals(frame, ACTIONS).set_index("account_id")
    # Engagement 10, 30, 70, 90: mid-rank percentiles 12.5, 37.5, 62.5, 87.5.
    assert result.loc[["a", "b", "c", "d"], "engagement_percentile"].tolist() == [12.5, 87.5, 37.5, 62.5]
    assert result.loc["a", "reason"] == (
        "churn likelihood 40% vs 15% in segment s; engagement at the 13th percentile; MRR 100 vs ARPU 300"
    )
    assert result.loc["b", "reason"].endswith("engagement at the 88th percentile; MRR 500 vs ARPU 300")
    assert result.loc[["a", "b", "c"], "action"].tolist() == ["save", "nurture", "grow"]
    assert result.loc["a", "peer_churn_likelihood"] == pytest.approx(0.15)
    assert result.loc["a", "peer_arpu"] == pytest.approx(300)


def test_ties_are_neither_above_nor_below():
    frame = day(
        [
            # Segment alone: one account equals every average.
            ("alone", "u", 0.30, 10, 100),
            # Segment v: the same likelihood (0.2 = average), whatever the engagement.
            ("same_a", "v", 0.2, 10, 100),
            ("same_b", "v", 0.2, 90, 100),
            # Segment w: likelihood .1 below .2, engagement 60 above 50, but MRR 200 equals ARPU 200.
            ("mrr_tie", "w", 0.1, 60, 200),
            ("mrr_tie_peer", "w", 0.3, 40, 200),
            # Segment t: likelihood above (.3 vs .2) but engagement above too: no branch.
            ("above_above", "t", 0.3, 80, 100),
            ("below_below", "t", 0.1, 20, 100),
        ]
    )
    assert signals_of(frame) == {
        "alone": "NONE",
        "same_a": "NONE",
        "same_b": "NONE",
        "mrr_tie": "NONE",
        "mrr_tie_peer": "RISK",
        "above_above": "NONE",
        "below_below": "OPPORTUNITY",
    }
    reasons = assign_signals(frame, ACTIONS).set_index("account_id")
    assert reasons.loc["alone", "engagement_percentile"] == 50
    # Equal numbers are not shown as a comparison ("30% vs 30%"): the reason says they are the average.
    assert reasons.loc["alone", "reason"] == (
        "churn likelihood 30%, the average in segment u; engagement at the 50th percentile; MRR 100, the ARPU"
    )
    assert reasons.loc["mrr_tie", "reason"].endswith("MRR 200, the ARPU")


def test_a_missing_engagement_is_neither_above_nor_below():
    # Segment x: likelihood average .3; engagement average 50 (the missing one left out); ARPU 200.
    frame = day([("unknown", "x", 0.5, None, 100), ("known", "x", 0.1, 50, 300)])
    result = assign_signals(frame, ACTIONS).set_index("account_id")
    assert result["signal"].to_dict() == {"known": "NONE", "unknown": "NONE"}
    assert pd.isna(result.loc["unknown", "engagement_percentile"])
    assert "engagement unknown" in result.loc["unknown", "reason"]


def test_peers_can_be_all_accounts_instead_of_the_segment():
    # Within each segment everyone ties; across all four accounts the likelihood average is .3,
    # engagement average 50 and ARPU 200.
    frame = day(
        [
            ("lo_a", "lo", 0.1, 70, 300),
            ("lo_b", "lo", 0.1, 70, 300),
            ("hi_a", "hi", 0.5, 30, 100),
            ("hi_b", "hi", 0.5, 30, 100),
        ]
    )
    assert set(signals_of(frame, "segment").values()) == {"NONE"}
    assert signals_of(frame, "all") == {
        "lo_a": "POWER_USER",
        "lo_b": "POWER_USER",
        "hi_a": "RISK",
        "hi_b": "RISK",
    }
    reason = assign_signals(frame, ACTIONS, "all").set_index("account_id").loc["hi_a", "reason"]
    assert "vs 30% in all accounts" in reason


def test_each_day_is_compared_with_its_own_peers():
    first = day([("a", "s", 0.4, 10, 100), ("b", "s", 0.1, 90, 100)])
    second = day([("a", "s", 0.4, 10, 100)], as_of=date(2026, 6, 2))
    result = assign_signals(pd.concat([first, second]), ACTIONS)
    by_day = {(r.account_id, r.as_of_date.date()): r.signal for r in result.itertuples()}
    assert by_day[("a", DAY)] == "RISK"
    assert by_day[("a", date(2026, 6, 2))] == "NONE"


def test_unknown_peer_group_and_missing_columns_are_refused():
    with pytest.raises(ValueError, match="peer_group must be 'segment' or 'all'"):
        assign_signals(day([("a", "s", 0.1, 1, 1)]), ACTIONS, "plan")
    with pytest.raises(KeyError, match="engagement_score"):
        assign_signals(day([("a", "s", 0.1, 1, 1)]).drop(columns="engagement_score"), ACTIONS)
