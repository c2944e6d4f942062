"""Adopting the recommended weights does not lower the backtest AUC: the whole job on a demo with a year
and a half of history, the recommendations written into a copy of the seeds, dbt rebuilt on them."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from dagster_project.effectiveness.adopt import adopt_weights
from tests.dbt_scenarios import dbt_build, project_copy, query
from tests.pipeline import materialise

# Long enough for monthly snapshots with known outcomes and enough churners to fit a scorecard.
BACKTEST_DEMO = {"demo_accounts": 200, "demo_days": 420, "demo_seed": 11, "demo_end_date": "2026-06-30"}
OVERALL_AUC = (
    "select health_score_auc from marts.score_effectiveness where segment = 'all' and dimension = 'overall'"
)


@pytest.fixture(scope="module")
def backtest_demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("backtest") / "warehouse.duckdb"
    result = materialise(path, partition_key=BACKTEST_DEMO["demo_end_date"], **BACKTEST_DEMO)
    assert result.success
    return path


def test_score_effectiveness_agrees_with_the_churn_model_and_the_recalibration(backtest_demo) -> None:
    [(health_auc,)] = query(backtest_demo, OVERALL_AUC)
    [(likelihood_auc, validation_auc, all_current_auc)] = query(
        backtest_demo,
        """select effectiveness.churn_likelihood_auc, metrics.validation_auc, weights.all_current_auc
           from marts.score_effectiveness as effectiveness
           cross join marts.churn_model_metrics as metrics
           cross join (select distinct all_current_auc from marts.recommended_weights) as weights
           where effectiveness.segment = 'all' and effectiveness.dimension = 'overall'""",
    )
    # Three independent computations: SQL ranks in dbt, scikit-learn on the model's time split, and the
    # recalibration's own rescoring of the snapshots with the current weights.
    assert likelihood_auc == pytest.approx(validation_auc, abs=1e-9)
    assert health_auc == pytest.approx(all_current_auc, abs=1e-6)
    assert 0.5 < health_auc < 1


def test_the_worklist_proof_scores_each_snapshot_with_outcomes_known_before_it(backtest_demo) -> None:
    walk = pd.DataFrame(
        query(
            backtest_demo,
            "select as_of_date, trained_on_snapshots, labels_known_by, churn_likelihood "
            "from marts.churn_walk_forward",
        ),
        columns=["as_of_date", "trained_on_snapshots", "labels_known_by", "churn_likelihood"],
    )
    assert walk["as_of_date"].nunique() >= 2
    assert (walk["labels_known_by"] < walk["as_of_date"]).all()
    # Counted again from the snapshots: a day's model learnt from every snapshot whose outcome was known
    # before that day (and by the run's day), and from no other.
    known_before = dict(
        query(
            backtest_demo,
            """select days.as_of_date, count(*)
               from (select distinct as_of_date from marts.churn_walk_forward) as days
               inner join intermediate.int_churn_snapshots as snapshots
                   on snapshots.label_known_on < days.as_of_date
               where snapshots.label_known_on < date '2026-07-01'
               group by 1""",
        )
    )
    for row in walk.drop_duplicates("as_of_date").itertuples():
        assert row.trained_on_snapshots == known_before[row.as_of_date], row.as_of_date
    capture = pd.DataFrame(
        query(
            backtest_demo,
            "select method, list_share, churned_mrr_share, snapshots from marts.worklist_effectiveness "
            "where segment = 'all' order by method, list_share",
        ),
        columns=["method", "list_share", "churned_mrr_share", "snapshots"],
    )
    assert (capture["snapshots"] == walk["as_of_date"].nunique()).all()
    top = capture[capture["list_share"] == 0.2].set_index("method")["churned_mrr_share"]
    assert top.between(0, 1).all()
    for _, shares in capture.groupby("method"):
        assert shares["churned_mrr_share"].is_monotonic_increasing
    assert top["expected_loss"] > top["random"]


def test_adopting_the_recommended_weights_does_not_lower_the_backtest_auc(backtest_demo, tmp_path) -> None:
    [(before,)] = query(backtest_demo, OVERALL_AUC)
    recommended = pd.DataFrame(
        query(
            backtest_demo,
            "select scorecard_id, measure, recommended_weight, status, all_recommended_auc "
            "from marts.recommended_weights",
        ),
        columns=["scorecard_id", "measure", "recommended_weight", "status", "all_recommended_auc"],
    )
    assert (recommended["status"] == "recommended").any(), "the demo should give something to adopt"

    project = project_copy(tmp_path)
    changed = adopt_weights(recommended, project.parent / "seeds" / "scorecard_measures.csv")
    assert changed > 0
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(backtest_demo, warehouse)
    # The default window covers all history: every incremental model downstream of the seed is rescored.
    dbt_build(warehouse, model="score_effectiveness", select="scorecard_measures+", project_dir=project)

    [(after,)] = query(warehouse, OVERALL_AUC)
    assert after >= before
    assert after == pytest.approx(recommended["all_recommended_auc"].iloc[0], abs=1e-6)


def test_a_poor_grade_with_little_risk_says_why_on_a_book_with_a_trained_model(backtest_demo) -> None:
    rows = query(
        backtest_demo,
        "select grade, churn_likelihood, reasons from marts.prioritized_accounts "
        "where grade in ('D', 'F') and churn_likelihood < 0.05",
    )
    assert rows, "the demo should have weak accounts the model sees little risk in"
    for grade, likelihood, reasons in rows:
        assert "held down by" in reasons or "after the 90-day risk horizon" in reasons, (
            grade,
            likelihood,
            reasons,
        )
