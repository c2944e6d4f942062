"""The churn model asset: trains on the snapshot table, saves a versioned artifact, records its metrics."""

from __future__ import annotations

from datetime import date, timedelta

import dagster as dg
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from dagster_project.churn import ChurnModel, LeakageError
from dagster_project.defs.churn.assets import churn_model_metrics, days_per_batch
from dagster_project.defs.churn.training import training_inputs
from dagster_project.warehouse.resource import Warehouse

# The partition the assets run for: after every snapshot's label is known.
TODAY = "2026-06-30"


def snapshot_table(rng: np.random.Generator, accounts: int = 300, months: int = 8) -> pd.DataFrame:
    """Monthly snapshots in the shape of int_churn_snapshots: low usage and many tickets lead to churn."""
    rows = []
    for month in range(months):
        usage = rng.normal(size=accounts)
        tickets = rng.normal(size=accounts)
        churn = rng.random(accounts) < 1 / (1 + np.exp(-(-2.5 - 1.5 * usage + 1.0 * tickets)))
        for i in range(accounts):
            rows.append(
                {
                    "account_id": f"a{i}",
                    "as_of_date": date(2025, 1, 1) + timedelta(days=31 * month),
                    "features_as_of": date(2025, 1, 1) + timedelta(days=31 * month),
                    "horizon_days": 90,
                    "label_known_on": date(2025, 1, 1) + timedelta(days=31 * month + 120),
                    "segment": "smb" if i % 2 else "ent",
                    "lifecycle_stage": "mature",
                    "health_score": 50.0,
                    "weighted_events_30d": usage[i],
                    "weighted_tickets_90d": tickets[i],
                    "revenue_ended_on": None,
                    "churned_within_horizon": int(churn[i]),
                }
            )
    return pd.DataFrame(rows)


@pytest.mark.parametrize(
    ("rows", "days", "expected"),
    [
        (540_000, 540, 250),  # the default demo: 1,000 accounts a day, 250,000 / 1,000
        (3_100_000, 31, 31),  # large: 100,000 accounts a day would make 2.5 days; a month at least
        (50_000, 5, 31),  # 10,000 a day: 25 days, raised to a month
        (0, 0, 31),  # nothing to score
    ],
)
def test_scoring_takes_about_a_quarter_million_account_days_at_a_time(rows, days, expected):
    assert days_per_batch(rows, days) == expected


def test_training_inputs_keep_only_features():
    snapshots = snapshot_table(np.random.default_rng(1), accounts=4, months=2)
    features, label, dates, groups = training_inputs(snapshots)
    assert list(features.columns) == ["health_score", "weighted_events_30d", "weighted_tickets_90d"]
    assert label.tolist() == snapshots["churned_within_horizon"].tolist()
    assert groups.tolist() == ["ent", "smb", "ent", "smb"] * 2
    assert dates.nunique() == 2


def test_the_asset_trains_saves_and_records_one_row_per_model_and_keeps_it_without_new_labels(tmp_path):
    warehouse = Warehouse(path=str(tmp_path / "warehouse.duckdb"))
    warehouse.write_table("intermediate.int_churn_snapshots", snapshot_table(np.random.default_rng(7)))

    retrained = []
    for _ in range(2):  # a re-run keeps the model it trained on the same snapshots: one row, one file
        result = dg.materialize(
            [churn_model_metrics], resources={"warehouse": warehouse}, partition_key=TODAY
        )
        metadata = result.asset_materializations_for_node(churn_model_metrics.op.name)[0].metadata
        retrained.append(metadata["retrained"].value)
    assert retrained == [True, False]

    rows = warehouse.query("select * from marts.churn_model_metrics")
    assert len(rows) == 1
    row = rows.iloc[0]
    assert row["model_kind"] == "logistic_regression"
    assert row["training_snapshots"] == 2400
    assert row["horizon_days"] == 90
    assert 0.7 < row["validation_auc"] <= 1
    assert metadata["validation_auc"].value == row["validation_auc"]
    model = ChurnModel.load(row["artifact"])
    assert model.version == row["model_version"]
    assert [p.name for p in (tmp_path / "models").iterdir()] == [f"churn-{model.version}.joblib"]

    # The backtest holds exactly the validation window (the last 2 of 8 months), scored as validated.
    backtest = warehouse.query("select * from marts.churn_backtest")
    assert len(backtest) == row["validation_n"] == 600
    assert backtest["as_of_date"].min() == row["validation_from"]
    assert set(backtest["model_version"]) == {row["model_version"]}
    assert roc_auc_score(backtest["churned_within_horizon"], backtest["churn_likelihood"]) == pytest.approx(
        row["validation_auc"]
    )

    # The walk-forward: month k (31 k days in) is scored by a model of the same kind trained on the months
    # whose outcome (known 120 days after each) was known before it: months 0 to k - 4, so months 4 to 7.
    walk = warehouse.query("select * from marts.churn_walk_forward order by as_of_date, account_id")
    first = date(2025, 1, 1)
    by_day = walk.groupby("as_of_date").agg(
        rows=("account_id", "size"),
        trained_on=("trained_on_snapshots", "max"),
        known_by=("labels_known_by", "max"),
    )
    assert [pd.Timestamp(d).date() for d in by_day.index] == [
        first + timedelta(days=31 * k) for k in (4, 5, 6, 7)
    ]
    assert by_day["rows"].tolist() == [300] * 4
    assert by_day["trained_on"].tolist() == [300, 600, 900, 1200]
    assert [pd.Timestamp(d).date() for d in by_day["known_by"]] == [
        first + timedelta(days=31 * (k - 4) + 120) for k in (4, 5, 6, 7)
    ]
    assert set(walk["model_kind"]) == {"logistic_regression"}
    assert walk["churn_likelihood"].between(0, 1).all()
    assert roc_auc_score(walk["churned_within_horizon"], walk["churn_likelihood"]) > 0.7


def test_too_little_history_falls_back_with_a_warning_instead_of_failing(tmp_path):
    warehouse = Warehouse(path=str(tmp_path / "warehouse.duckdb"))
    few = snapshot_table(np.random.default_rng(3), accounts=20, months=1)
    warehouse.write_table("intermediate.int_churn_snapshots", few)
    result = dg.materialize([churn_model_metrics], resources={"warehouse": warehouse}, partition_key=TODAY)
    assert result.success
    row = warehouse.query("select model_kind, warnings, validation_auc from marts.churn_model_metrics").iloc[
        0
    ]
    assert row["model_kind"] == "segment_prior"
    assert "fewer than 2 distinct snapshot dates" in row["warnings"]
    assert pd.isna(row["validation_auc"])
    # Nothing to walk forward with: the table is there, empty.
    assert warehouse.scalar("select count(*) from marts.churn_walk_forward") == 0


def test_a_feature_from_after_the_snapshot_date_is_caught_before_training(tmp_path):
    warehouse = Warehouse(path=str(tmp_path / "warehouse.duckdb"))
    snapshots = snapshot_table(np.random.default_rng(7), accounts=50, months=3)
    snapshots.loc[60, "features_as_of"] = snapshots.loc[60, "as_of_date"] + timedelta(days=1)
    with pytest.raises(
        LeakageError, match=r"1 training rows have features from after their snapshot date.*a10"
    ):
        training_inputs(snapshots)
    warehouse.write_table("intermediate.int_churn_snapshots", snapshots)
    result = dg.materialize(
        [churn_model_metrics], resources={"warehouse": warehouse}, partition_key=TODAY, raise_on_error=False
    )
    assert not result.success
    assert warehouse.columns("marts.churn_model_metrics") == []
