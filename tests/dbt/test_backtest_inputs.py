"""The backtest models are rebuilt only when something they read changed (defs/dbt/backtest_inputs.py)."""

from __future__ import annotations

from datetime import date

import pandas as pd

from dagster_project.defs.dbt.backtest_inputs import (
    current_inputs,
    last_health_day_read,
    record_built,
    why_unchanged,
)
from dagster_project.warehouse.resource import Warehouse

HEALTH = "intermediate.int_account_health_daily"


def health_day(warehouse: Warehouse, day: date, score: float = 70.0) -> None:
    """Rebuild one day of health, as the daily dbt step does (the write is logged)."""
    rows = pd.DataFrame({"account_id": ["a", "b"], "as_of_date": [day, day], "health_score": [score, 40.0]})
    warehouse.replace_dates(HEALTH, rows, day, day + pd.Timedelta(days=1))


def book(path) -> Warehouse:
    """Snapshots on 1 March and 1 April; b churned on 15 June (its warning window ends 16 April)."""
    warehouse = Warehouse(path=str(path))
    warehouse.write_table(
        "intermediate.int_churn_snapshots",
        pd.DataFrame(
            {
                "account_id": ["a", "b", "a", "b"],
                "as_of_date": [date(2026, 3, 1), date(2026, 3, 1), date(2026, 4, 1), date(2026, 4, 1)],
                "churned_within_horizon": [0, 0, 0, 1],
                "revenue_ended_on": [None, None, None, date(2026, 6, 15)],
            }
        ),
    )
    warehouse.write_table(
        "marts.churn_backtest", pd.DataFrame({"account_id": ["a"], "churn_likelihood": [0.2]})
    )
    health_day(warehouse, date(2026, 6, 29))
    return warehouse


def test_the_last_day_read_is_the_later_of_the_last_snapshot_and_the_last_warning_window(tmp_path):
    assert last_health_day_read(book(tmp_path / "w.duckdb")) == date(2026, 4, 16)


def test_a_daily_run_after_the_days_read_keeps_them_and_a_backfill_of_one_rebuilds_them(tmp_path):
    warehouse = book(tmp_path / "w.duckdb")
    assert why_unchanged(warehouse, current_inputs(warehouse, "code-1")) is None  # never built
    record_built(warehouse, current_inputs(warehouse, "code-1"))
    assert why_unchanged(warehouse, current_inputs(warehouse, "code-1")) is not None

    health_day(warehouse, date(2026, 6, 30))  # the next day
    health_day(warehouse, date(2026, 4, 17))  # a backfill of a day after the last one read
    assert "after 2026-04-16" in why_unchanged(warehouse, current_inputs(warehouse, "code-1"))

    health_day(warehouse, date(2026, 4, 16), score=10.0)  # a backfill of the warning window's last day
    assert why_unchanged(warehouse, current_inputs(warehouse, "code-1")) is None
    record_built(warehouse, current_inputs(warehouse, "code-1"))
    assert why_unchanged(warehouse, current_inputs(warehouse, "code-1")) is not None


def test_other_code_another_backtest_or_health_written_whole_rebuilds_them(tmp_path):
    warehouse = book(tmp_path / "w.duckdb")
    record_built(warehouse, current_inputs(warehouse, "code-1"))
    assert why_unchanged(warehouse, current_inputs(warehouse, "code-2")) is None

    warehouse.write_table(
        "marts.churn_backtest", pd.DataFrame({"account_id": ["a"], "churn_likelihood": [0.3]})
    )
    assert why_unchanged(warehouse, current_inputs(warehouse, "code-1")) is None
    record_built(warehouse, current_inputs(warehouse, "code-1"))

    warehouse.write_table(HEALTH, pd.DataFrame({"account_id": ["a"], "as_of_date": [date(2026, 6, 30)]}))
    assert why_unchanged(warehouse, current_inputs(warehouse, "code-1")) is None
