"""Churn predictions, signals and the worklist as Dagster assets, on a warehouse of hand-made dbt tables.

dbt is not run here (test_end_to_end does that): the tables the assets read are
written directly in the shapes dbt gives them, so each expectation is known.
"""

from __future__ import annotations

from datetime import date, timedelta

import dagster as dg
import numpy as np
import pandas as pd
import pytest

from dagster_project.defs.churn.assets import churn_model_metrics, churn_predictions
from dagster_project.defs.churn.tables import CHURN_MODEL_METRICS
from dagster_project.defs.effectiveness.tables import RECOMMENDED_WEIGHTS
from dagster_project.defs.python_assets import PYTHON_TABLES
from dagster_project.defs.worklist.assets import customer_signals, prioritized_accounts
from dagster_project.defs.worklist.current_signals import carries_yesterday, current_signals
from dagster_project.defs.worklist.effectiveness import worklist_effectiveness
from dagster_project.defs.worklist.tables import CUSTOMER_SIGNALS, CUSTOMER_SIGNALS_HISTORY
from dagster_project.run import worklist_summary
from dagster_project.warehouse.resource import Warehouse
from tests.conftest import ROOT
from tests.test_churn_asset import snapshot_table

DAYS = [date(2026, 6, 28), date(2026, 6, 29), date(2026, 6, 30)]
ACCOUNTS = 60
OWNERS = ["ana", "ben", None]


def write_seeds(warehouse: Warehouse) -> None:
    for seed in ("measure_labels", "worklist_settings", "signal_actions", "priority_tiers", "worklist_plays"):
        warehouse.write_table(f"seeds.{seed}", pd.read_csv(ROOT / "seeds" / f"{seed}.csv", dtype=str))


def account_days() -> pd.DataFrame:
    """Features and health of ACCOUNTS accounts on three days; acct_00 has no usage and many tickets."""
    rng = np.random.default_rng(11)
    rows = []
    for day in DAYS:
        usage, tickets = rng.normal(size=ACCOUNTS), rng.normal(size=ACCOUNTS)
        usage[0], tickets[0] = -4.0, 4.0
        for i in range(ACCOUNTS):
            rows.append(
                {
                    "account_id": f"acct_{i:02d}",
                    "as_of_date": day,
                    "segment": "smb" if i % 2 else "ent",
                    "lifecycle_stage": "mature",
                    "features_as_of": day,
                    "weighted_events_30d": usage[i],
                    "weighted_tickets_90d": tickets[i],
                    "engagement_score": 50 + 10 * usage[i],
                    "health_score": float(np.clip(60 + 15 * usage[i] - 10 * tickets[i], 0, 100)),
                    "mrr": 100.0 * (1 + i % 7),
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Warehouse:
    warehouse = Warehouse(path=str(tmp_path_factory.mktemp("worklist") / "warehouse.duckdb"))
    write_seeds(warehouse)
    warehouse.write_table("intermediate.int_churn_snapshots", snapshot_table(np.random.default_rng(7)))
    days = account_days()
    features = ["account_id", "as_of_date", "segment", "lifecycle_stage", "features_as_of"]
    warehouse.write_table(
        "intermediate.int_account_churn_features_daily",
        days[[*features, "health_score", "weighted_events_30d", "weighted_tickets_90d"]],
    )
    warehouse.write_table(
        "intermediate.int_account_health_daily",
        days[["account_id", "as_of_date", "segment", "engagement_score", "mrr"]],
    )
    accounts = pd.DataFrame(
        {
            "account_id": [f"acct_{i:02d}" for i in range(ACCOUNTS)],
            "account_name": [f"Account {i}" for i in range(ACCOUNTS)],
            "account_owner": [OWNERS[i % 3] for i in range(ACCOUNTS)],
        }
    )
    warehouse.write_table("intermediate.int_accounts", accounts)
    today = days[days["as_of_date"] == DAYS[-1]].merge(accounts, on="account_id")
    warehouse.write_table(
        "marts.customer_health",
        today.assign(
            grade=np.where(today["health_score"] >= 65, "B", "D"),
            health_score_change_30d=-5.0,
            drivers="weighted product events (30 days): 1 (segment median 3)",
        )[
            [
                "as_of_date",
                "account_id",
                "account_name",
                "account_owner",
                "segment",
                "grade",
                "health_score",
                "health_score_change_30d",
                "drivers",
                "mrr",
            ]
        ],
    )
    warehouse.write_table(
        "intermediate.int_account_revenue_daily",
        days[["account_id", "as_of_date"]].assign(
            lifetime_value=days["mrr"] * 12,
            mrr=days["mrr"],
            days_to_renewal=days["account_id"].str[-2:].astype(int) % 30,
            # acct_05 has an invoice 12 days past due: its play is to fix billing, whatever else holds.
            open_past_due_invoices=(days["account_id"] == "acct_05").astype(int),
            days_past_due=(days["account_id"] == "acct_05") * 12,
            failed_invoices_90d=0,
        ),
    )
    for _ in range(2):  # the second run must replace, not add
        result = dg.materialize(
            [
                churn_model_metrics,
                churn_predictions,
                customer_signals,
                prioritized_accounts,
                worklist_effectiveness,
            ],
            resources={"warehouse": warehouse},
            partition_key=str(DAYS[-1]),
        )
        assert result.success
    return warehouse


def test_every_account_day_is_scored_and_today_has_drivers_in_words(warehouse):
    history = warehouse.query("select * from marts.churn_predictions_history")
    assert len(history) == ACCOUNTS * len(DAYS)
    assert not history.duplicated(["account_id", "as_of_date"]).any()
    segment_means = history.groupby(["as_of_date", "segment"])["churn_likelihood"].transform("mean")
    assert history["segment_churn_likelihood"].to_numpy() == pytest.approx(segment_means.to_numpy())
    assert history["likelihood_to_segment"].to_numpy() == pytest.approx(
        (history["churn_likelihood"] / segment_means).to_numpy()
    )
    today = warehouse.query("select * from marts.churn_predictions order by churn_likelihood desc")
    assert len(today) == ACCOUNTS and set(today["as_of_date"].dt.date) == {DAYS[-1]}
    worst = today.iloc[0]
    assert worst["account_id"] == "acct_00"
    # The training snapshots weigh usage (-1.5) above tickets (+1.0), so usage comes first.
    assert worst["drivers"].startswith("low weighted product events (30 days): -4 vs 0.0 on average; ")
    assert "; high priority-weighted tickets (90 days): 4 vs " in worst["drivers"]


def test_signals_cover_every_account_day_and_today_knows_yesterday(warehouse):
    history = warehouse.query("select * from marts.customer_signals_history")
    assert len(history) == ACCOUNTS * len(DAYS)
    assert not history.duplicated(["account_id", "as_of_date"]).any()
    assert set(history["signal"]) <= {"RISK", "OPPORTUNITY", "POWER_USER", "NONE"}
    today = warehouse.query("select * from marts.customer_signals").set_index("account_id")
    assert len(today) == ACCOUNTS
    # acct_00: the highest likelihood and the lowest engagement of its segment.
    assert today.loc["acct_00", "signal"] == "RISK"
    assert today.loc["acct_00", "reason"].startswith("churn likelihood ")
    assert today.loc["acct_00", "action"].startswith("Save proactively")
    yesterday = history[history["as_of_date"].dt.date == DAYS[1]].set_index("account_id")["signal"]
    assert today["previous_signal"].to_dict() == yesterday.to_dict()


def test_the_worklist_ranks_every_account_of_customer_health(warehouse):
    worklist = warehouse.query("select * from marts.prioritized_accounts order by priority_rank")
    assert worklist["priority_rank"].tolist() == list(range(1, ACCOUNTS + 1))
    assert worklist["priority_score"].is_monotonic_decreasing
    for queue, book in worklist.groupby("queue"):
        assert book["owner_rank"].tolist() == list(range(1, len(book) + 1))
        assert (book["owner"].isna() if queue == "unassigned" else book["owner"] == queue).all()
    assert worklist["revenue_at_risk"].to_numpy() == pytest.approx(
        (worklist["mrr"] * 12 * worklist["churn_likelihood"]).to_numpy()
    )
    # The default order: churn likelihood x annual revenue x renewal urgency (renewals 0-29 days away), with
    # the seed's weight.
    settings = pd.read_csv(ROOT / "seeds" / "worklist_settings.csv").set_index("setting")["value"]
    urgency = 1 + float(settings["renewal_urgency_weight"]) * (90 - worklist["days_to_renewal"]) / 90
    assert worklist["priority_score"].to_numpy() == pytest.approx(
        (worklist["churn_likelihood"] * worklist["mrr"] * 12 * urgency).to_numpy()
    )
    assert (worklist["risk_horizon_days"] == 90).all()
    # One play per account; its tier agrees with it; its action is the play's and nothing else.
    plays = pd.read_csv(ROOT / "seeds" / "worklist_plays.csv").set_index("play")
    assert worklist["account_id"].is_unique and worklist["play"].isin(plays.index).all()
    assert (worklist["recommended_action"] == plays.loc[worklist["play"], "action"].to_numpy()).all()
    saves = worklist["play_kind"] == "save"
    assert worklist.loc[saves, "priority_tier"].isin(["P1", "P3"]).all()
    assert worklist.loc[~saves, "priority_tier"].isin(["P2", "P4"]).all()
    billing = worklist.set_index("account_id").loc["acct_05"]
    assert billing["play"] == "fix billing"
    assert billing["play_reason"] == "1 invoice past due, 12 days overdue"
    # At most three reasons, the play's fact first.
    for row in worklist.itertuples():
        assert row.reasons.startswith(row.play_reason) and len(row.reasons.split("; ")) <= 3


def test_published_tables_have_the_contract_types(warehouse):
    # The recalibration is not built here (it reads the scoring tables); the end-to-end test checks it.
    for table in PYTHON_TABLES:
        if table is not RECOMMENDED_WEIGHTS:
            assert table.matches(warehouse.columns(table.name)), table.name


def test_signal_since_is_the_start_of_the_current_run(tmp_path):
    warehouse = Warehouse(path=str(tmp_path / "warehouse.duckdb"))
    days = [date(2026, 6, 1) + timedelta(days=d) for d in range(5)]
    runs = {
        "a": ["NONE", "RISK", "NONE", "RISK", "RISK"],
        "b": [None, None, "RISK", "RISK", "RISK"],
        "c": [None] * 4 + ["NONE"],
    }
    rows = [
        {"as_of_date": day, "account_id": account, "segment": "s", "signal": signal}
        for account, signals in runs.items()
        for day, signal in zip(days, signals, strict=True)
        if signal is not None
    ]
    history = pd.DataFrame(rows).reindex(columns=CUSTOMER_SIGNALS_HISTORY.column_names)
    warehouse.write_table(CUSTOMER_SIGNALS_HISTORY, history)
    warehouse.write_table(
        "intermediate.int_accounts",
        pd.DataFrame(
            {
                "account_id": ["a", "b", "c"],
                "account_name": ["A", "B", "C"],
                "account_owner": ["o", "o", None],
            }
        ),
    )
    warehouse.write_table(CUSTOMER_SIGNALS, current_signals(warehouse))
    today = warehouse.query("select * from marts.customer_signals").set_index("account_id")
    assert today["signal_since"].dt.date.to_dict() == {"a": days[3], "b": days[2], "c": days[4]}
    assert today.loc[["a", "b"], "previous_signal"].tolist() == ["RISK", "RISK"]
    assert pd.isna(today.loc["c", "previous_signal"])  # first seen today
    assert today.loc["a", "account_name"] == "A"


def test_signal_since_followed_day_by_day_from_yesterdays_table_is_the_history_s(tmp_path):
    """The same runs written a day at a time, today's table carried from yesterday's: a held signal keeps
    its start, a changed one starts today, an account back after a day away is looked up in the
    history, a new one starts today; a past day rewritten since yesterday's table stops the carrying."""
    warehouse = Warehouse(path=str(tmp_path / "warehouse.duckdb"))
    days = [date(2026, 6, 1) + timedelta(days=d) for d in range(5)]
    runs = {
        "a": ["NONE", "RISK", "NONE", "RISK", "RISK"],  # RISK since day 3
        "b": [None, None, "RISK", "RISK", "RISK"],  # since day 2
        "c": ["RISK", "RISK", None, "RISK", "RISK"],  # away on day 2, RISK all along: since day 0
        "d": [None] * 4 + ["NONE"],  # new on day 4
        "e": ["RISK", "RISK", "RISK", "RISK", "NONE"],  # changed on day 4
    }
    warehouse.write_table(
        "intermediate.int_accounts",
        pd.DataFrame({"account_id": list(runs), "account_name": list(runs), "account_owner": "o"}),
    )
    carried = []
    for n, day in enumerate(days):
        rows = pd.DataFrame(
            [
                {"as_of_date": day, "account_id": account, "segment": "s", "signal": signals[n]}
                for account, signals in runs.items()
                if signals[n] is not None
            ]
        ).reindex(columns=CUSTOMER_SIGNALS_HISTORY.column_names)
        warehouse.replace_dates(CUSTOMER_SIGNALS_HISTORY, rows, day, day + timedelta(days=1))
        carried.append(carries_yesterday(warehouse, day))
        warehouse.write_table(CUSTOMER_SIGNALS, current_signals(warehouse))
    assert carried == [False, True, True, True, True]
    today = warehouse.query("select * from marts.customer_signals").set_index("account_id")
    assert today["signal_since"].dt.date.to_dict() == {
        "a": days[3],
        "b": days[2],
        "c": days[0],
        "d": days[4],
        "e": days[4],
    }
    assert today["previous_signal"].fillna("-").to_dict() == {
        "a": "RISK",
        "b": "RISK",
        "c": "RISK",
        "d": "-",
        "e": "RISK",
    }

    # A backfill rewrites day 1 after day 4's table was written: the next day looks every account up
    warehouse.replace_dates(
        CUSTOMER_SIGNALS_HISTORY,
        pd.DataFrame([{"as_of_date": days[1], "account_id": "a", "segment": "s", "signal": "RISK"}]).reindex(
            columns=CUSTOMER_SIGNALS_HISTORY.column_names
        ),
        days[1],
        days[2],
    )
    next_day = days[4] + timedelta(days=1)
    assert not carries_yesterday(warehouse, next_day)


def test_a_table_written_by_another_version_is_refused_with_a_fix(tmp_path):
    warehouse = Warehouse(path=str(tmp_path / "warehouse.duckdb"))
    warehouse.write_table("marts.churn_model_metrics", pd.DataFrame({"model_version": ["old"]}))
    with pytest.raises(ValueError, match=r"drop table marts.churn_model_metrics"):
        warehouse.replace_rows(
            CHURN_MODEL_METRICS, pd.DataFrame(columns=CHURN_MODEL_METRICS.column_names), key="model_version"
        )


def test_make_run_summarises_grades_signals_risk_and_the_top_of_the_worklist(warehouse):
    summary = worklist_summary(warehouse, top=3)
    grades = warehouse.query("select grade, count(*) as n from marts.customer_health group by 1 order by 1")
    assert "  by grade:  " + "  ".join(f"{g} {n}" for g, n in grades.itertuples(index=False)) in summary
    assert "RISK" in summary.split("by signal:")[1].splitlines()[0]
    at_risk = warehouse.scalar("select sum(revenue_at_risk) from marts.prioritized_accounts")
    assert f"revenue at risk (MRR x 12 x churn likelihood within 90 days): {at_risk:,.0f}" in summary
    unassigned = warehouse.scalar("select count(*) from marts.prioritized_accounts where owner is null")
    assert unassigned > 0 and f"unassigned queue (no owner): {unassigned:,} accounts" in summary
    first = warehouse.query(
        "select account_name from marts.prioritized_accounts where priority_rank = 1"
    ).iloc[0, 0]
    rows = summary.split("Top 3 of the worklist")[1].splitlines()[2:]
    assert len(rows) == 3 and rows[0].split()[:2] == [
        "1",
        warehouse.scalar("select priority_tier from marts.prioritized_accounts where priority_rank = 1"),
    ]
    assert first in rows[0]
