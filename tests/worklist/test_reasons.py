"""At most three reasons a CSM reads in ten seconds, each with its number and comparison."""

from __future__ import annotations

import pandas as pd

from dagster_project.defs.worklist.reasons import worklist_reasons


def row(**facts) -> dict:
    return {
        "play_reason": "no save or growth trigger (grade B, health 70)",
        "play_trigger": "always",
        "grade": "B",
        "health_score": 70.0,
        "health_score_change_30d": 0.0,
        "churn_likelihood": 0.02,
        "peer_churn_likelihood": 0.05,
        "peer_group": "smb",
        "churn_drivers": "low adoption score: 20 vs 60 on average; high tickets: 9 vs 3 on average",
        "churn_held_down_by": "high tenure (months): 48 vs 20 on average; low failed payments: 0 vs 0.4",
        "health_drivers": "seats in use: 20% (segment median 40%); key features: 1 (segment median 3)",
        "days_to_renewal": 20,
    } | facts


def reasons(*rows: dict) -> list[str]:
    return worklist_reasons(pd.DataFrame(list(rows)), material_risk=0.10, horizon_days=90).tolist()


def test_the_play_first_then_health_then_the_weakest_measure_alone():
    assert reasons(row(health_score_change_30d=-7.4)) == [
        "no save or growth trigger (grade B, health 70); grade B, health 70 (-7 in 30 days); "
        "weakest: seats in use: 20% (segment median 40%)"
    ]


def test_a_material_risk_is_stated_with_its_peers_and_otherwise_its_strongest_driver():
    billing = row(
        play_reason="1 invoice past due, 3 days overdue",
        play_trigger="payment_problem",
        churn_likelihood=0.32,
    )
    saved = row(
        play_reason="churn risk 32% in 90 days vs 5% in segment smb",
        play_trigger="material_risk",
        churn_likelihood=0.32,
    )
    assert reasons(billing, saved) == [
        "1 invoice past due, 3 days overdue; grade B, health 70; "
        "churn risk 32% in 90 days vs 5% in segment smb",
        "churn risk 32% in 90 days vs 5% in segment smb; grade B, health 70; "
        "risk driven most by low adoption score: 20 vs 60 on average",
    ]


def test_a_poor_grade_with_little_risk_says_why_the_risk_is_low():
    far = row(grade="F", health_score=30.0, churn_likelihood=0.01, days_to_renewal=240)
    near = row(grade="F", health_score=30.0, churn_likelihood=0.014, days_to_renewal=25)
    unexplained = row(grade="D", health_score=45.0, churn_likelihood=0.03, churn_held_down_by="")
    good = row(churn_likelihood=0.01)
    assert reasons(far, near, unexplained, good) == [
        "no save or growth trigger (grade B, health 70); grade F, health 30; "
        "renews in 8 months, after the 90-day risk horizon",
        "no save or growth trigger (grade B, health 70); grade F, health 30; "
        "churn risk 1% in 90 days, held down by high tenure (months): 48 vs 20 on average",
        "no save or growth trigger (grade B, health 70); grade D, health 45; "
        "weakest: seats in use: 20% (segment median 40%)",
        "no save or growth trigger (grade B, health 70); grade B, health 70; "
        "weakest: seats in use: 20% (segment median 40%)",
    ]


def test_a_falling_health_is_not_told_twice():
    falling = row(
        play_reason="health 30, down 31 points in 30 days",
        play_trigger="health_falling",
        grade="F",
        health_drivers="",
    )
    assert reasons(falling) == [
        "health 30, down 31 points in 30 days; grade F; "
        "churn risk 2% in 90 days, held down by high tenure (months): 48 vs 20 on average"
    ]
