"""One play per account, by the precedence of seeds/worklist_plays.csv, with the fact behind it."""

from __future__ import annotations

import pandas as pd
import pytest

from dagster_project.worklist.plays import assign_plays, check_plays, risk_fact
from dagster_project.worklist.settings import WorklistConfigError, WorklistSettings
from tests.conftest import ROOT

SEED = pd.read_csv(ROOT / "seeds" / "worklist_plays.csv")
PLAYS = check_plays(SEED)
SETTINGS = WorklistSettings()  # material risk 10%, health falling below 65 by 15, expansion at the 75th


def account(account_id: str, **facts) -> dict:
    """An account that triggers nothing but 'always' (engagement at the peers' average), changed by
    ``facts``."""
    return {
        "account_id": account_id,
        "open_past_due_invoices": 0,
        "days_past_due": None,
        "failed_invoices_90d": 0,
        "churn_likelihood": 0.02,
        "peer_churn_likelihood": 0.05,
        "health_score": 80.0,
        "health_score_change_30d": 0.0,
        "grade": "A",
        "engagement_score": 50.0,
        "peer_engagement_score": 50.0,
        "engagement_percentile": 50.0,
        "peer_group": "smb",
        "mrr": 100.0,
        "peer_arpu": 100.0,
    } | facts


BOOK = pd.DataFrame(
    [
        # Past due and at risk: billing comes first.
        account("billing", open_past_due_invoices=2, days_past_due=14, churn_likelihood=0.4),
        # At risk, health falling and engaged above the 75th percentile: save, never expand.
        account(
            "risky_power_user",
            churn_likelihood=0.32,
            health_score=30.0,
            health_score_change_30d=-31.0,
            engagement_score=90.0,
            engagement_percentile=95.0,
        ),
        account("falling", health_score=30.0, health_score_change_30d=-31.0, churn_likelihood=0.01),
        account("unused", engagement_score=20.0, engagement_percentile=10.0),
        account("power", engagement_score=80.0, engagement_percentile=80.0, mrr=60.0),
        account("steady"),
        account("failed_card", failed_invoices_90d=1),
    ]
)


def plays(book: pd.DataFrame = BOOK, seed: pd.DataFrame = PLAYS) -> pd.DataFrame:
    return assign_plays(book, seed, SETTINGS, horizon_days=90).set_index("account_id")


def test_each_account_gets_the_first_play_whose_trigger_holds():
    assert plays()["play"].to_dict() == {
        "billing": "fix billing",
        "risky_power_user": "save",
        "falling": "find out what changed",
        "unused": "drive adoption",
        "power": "expand",
        "steady": "nurture",
        "failed_card": "fix billing",
    }


def test_the_play_comes_with_its_action_kind_and_the_fact_that_triggered_it():
    chosen = plays()
    assert chosen.loc["billing", "play_reason"] == "2 invoices past due, 14 days overdue"
    assert chosen.loc["failed_card", "play_reason"] == "1 failed payment in 90 days"
    assert chosen.loc["risky_power_user", "play_reason"] == "churn risk 32% in 90 days vs 5% in segment smb"
    assert chosen.loc["falling", "play_reason"] == "health 30, down 31 points in 30 days"
    assert chosen.loc["unused", "play_reason"] == "engagement at the 10th percentile of segment smb"
    assert (
        chosen.loc["power", "play_reason"]
        == "engagement at the 80th percentile of segment smb, MRR 60 vs 100 on average"
    )
    assert chosen.loc["steady", "play_reason"] == "no save or growth trigger (grade A, health 80)"
    assert chosen.loc["risky_power_user", "play_kind"] == "save"
    assert chosen.loc["risky_power_user", "play_action"].startswith("Save:")
    assert chosen.loc["power", "play_kind"] == "grow"


def test_analysts_reorder_the_plays_in_the_seed():
    expand_first = SEED.assign(precedence=SEED["precedence"].where(SEED["trigger"] != "expansion_ready", 0))
    assert plays(seed=check_plays(expand_first)).loc["risky_power_user", "play"] == "expand"


def test_a_risk_equal_to_its_peers_is_not_compared():
    assert risk_fact(0.04, 0.041, "smb", 90) == "churn risk 4% in 90 days"
    assert risk_fact(0.12, 0.04, "all accounts", 365) == "churn risk 12% in 365 days vs 4% in all accounts"
    assert risk_fact(0.12, None, "smb", 90) == "churn risk 12% in 90 days"


@pytest.mark.parametrize(
    ("seed", "message"),
    [
        (
            SEED.assign(trigger=SEED["trigger"].replace("low_adoption", "bored")),
            r"unknown triggers \['bored'\]",
        ),
        (SEED[SEED["trigger"] != "always"], "no play with the trigger 'always'"),
        (
            SEED.assign(precedence=SEED["precedence"].where(SEED["trigger"] != "always", 0)),
            r"never apply: \['fix billing'",
        ),
        (SEED.assign(play_kind="rescue"), r"play_kind must be save or grow, not \['rescue'\]"),
        (SEED.assign(precedence=1), "two plays share a precedence"),
    ],
)
def test_a_seed_that_cannot_give_every_account_one_play_is_refused_naming_the_file(seed, message):
    with pytest.raises(WorklistConfigError, match=rf"seeds/worklist_plays.csv: .*{message}"):
        check_plays(seed)
