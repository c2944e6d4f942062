"""The capture of churn by the top of the list, on a hand-made book (expected values by hand).

Day 1 (smb: a b c; ent: d e), scores 0.9 0.8 0.5 0.1 0.05, MRR 100 50 200 10 40, churned a c e.
Day 2 (smb: f g; ent: h i j), scores 0.7 0.6 0.3 0.2 0.1, MRR 300 100 20 30 60, churned g.
Churned MRR 100 + 200 + 40 + 100 = 440; 4 churners.

- Top 20% (1 account a day): a (100) and f (0): 100 / 440; 1 of 4 churners.
- Top 50% (3 a day): a b c (300, 2 churners) and f g h (100, 1): 400 / 440; 3 of 4.
- Random: the top's share of each day's list, 1/5 and 3/5 both days: 0.2 and 0.6.
- smb alone (a b c; f g), top 20% = 1 a day: a (100) and f (0) of 300 + 100 = 400: 0.25.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from dagster_project.worklist.capture import capture_table

D1, D2 = date(2026, 3, 1), date(2026, 4, 1)
BOOK = pd.DataFrame(
    [
        (D1, "a", "smb", 0.9, 100, 1),
        (D1, "b", "smb", 0.8, 50, 0),
        (D1, "c", "smb", 0.5, 200, 1),
        (D1, "d", "ent", 0.1, 10, 0),
        (D1, "e", "ent", 0.05, 40, 1),
        (D2, "f", "smb", 0.7, 300, 0),
        (D2, "g", "smb", 0.6, 100, 1),
        (D2, "h", "ent", 0.3, 20, 0),
        (D2, "i", "ent", 0.2, 30, 0),
        (D2, "j", "ent", 0.1, 60, 0),
    ],
    columns=["as_of_date", "account_id", "segment", "score", "mrr", "churned"],
)


def table() -> pd.DataFrame:
    captured = capture_table(BOOK, {"by_score": BOOK["score"]}, default="by_score", shares=(0.2, 0.5))
    return captured.set_index(["method", "segment", "list_share"])


def test_the_top_of_each_days_list_catches_the_hand_worked_shares():
    captured = table()
    assert captured.loc[("by_score", "all", 0.2), "churned_mrr_share"] == pytest.approx(100 / 440)
    assert captured.loc[("by_score", "all", 0.2), "churner_share"] == pytest.approx(1 / 4)
    assert captured.loc[("by_score", "all", 0.5), "churned_mrr_share"] == pytest.approx(400 / 440)
    assert captured.loc[("by_score", "all", 0.5), "churner_share"] == pytest.approx(3 / 4)
    assert captured.loc[("by_score", "all", 0.2), "snapshots"] == 2
    assert captured.loc[("by_score", "all", 0.2), "churned_mrr"] == 440
    assert bool(captured.loc[("by_score", "all", 0.2), "is_default"])


def test_a_random_order_catches_its_share_of_the_list():
    captured = table()
    assert captured.loc[("random", "all", 0.2), "churned_mrr_share"] == pytest.approx(0.2)
    assert captured.loc[("random", "all", 0.5), "churner_share"] == pytest.approx(0.6)
    assert not bool(captured.loc[("random", "all", 0.2), "is_default"])


def test_a_segment_is_its_own_list():
    captured = table()
    assert captured.loc[("by_score", "smb", 0.2), "churned_mrr_share"] == pytest.approx(100 / 400)
    # ent: d e (e churned, 40) and h i j (none): top 1 a day is d and h, catching nothing.
    assert captured.loc[("by_score", "ent", 0.2), "churned_mrr_share"] == 0


def test_equal_scores_are_ordered_by_account_and_no_churn_gives_no_share():
    tied = BOOK.assign(score=1.0)
    captured = capture_table(tied, {"flat": tied["score"]}, default="flat", shares=(0.2,))
    # Day 1's first account is a (100), day 2's is f (0).
    assert captured.iloc[0]["churned_mrr_share"] == pytest.approx(100 / 440)
    quiet = capture_table(BOOK.assign(churned=0), {"flat": BOOK["score"]}, default="flat", shares=(0.2,))
    assert quiet.iloc[0]["churned_mrr_share"] is None
