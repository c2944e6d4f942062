"""A daily run tests the raw and staging rows its load wrote, not every row landed before
(macros/get_where_subquery.sql): same verdicts on the new rows, a cost that does not grow with history."""

from __future__ import annotations

import os
from datetime import datetime

import duckdb
import pytest

from tests.dbt_scenarios import land_scenario, run_dbt


def event(event_id: str, name: str | None = "logged-in") -> dict:
    return {"event_id": event_id, "event_name": name, "occurred_at": datetime(2026, 6, 1, 9)}


@pytest.fixture
def two_loads(tmp_path):
    """Events e1..e4 landed by an earlier load, e5 and e6 by the last one (raw._sync_cursors says so)."""
    path = land_scenario(tmp_path, {"intercom_events": [event(f"e{n}") for n in range(1, 7)]})
    with duckdb.connect(str(path)) as con:
        con.execute("update raw.intercom_events set _batch_id = 'earlier'")
        con.execute("update raw.intercom_events set _batch_id = 'last' where event_id in ('e5', 'e6')")
        con.execute("update raw._sync_cursors set batch_id = 'last' where table_name = 'intercom_events'")
    return path


def failing_tests(path, window: bool) -> str:
    """The names of the events' source and staging tests that fail (dbt's output lines)."""
    previous = os.environ.get("HEALTH_DBT_TEST_WINDOW")
    os.environ["HEALTH_DBT_TEST_WINDOW"] = "window" if window else "all"
    try:
        run_dbt(path, ["run", "--select", "stg_intercom__events"])
        try:
            run_dbt(path, ["test", "--select", "source:intercom.events stg_intercom__events"])
        except AssertionError as failed:
            return " ".join(line for line in str(failed).splitlines() if "FAIL" in line)
        return ""
    finally:
        if previous is None:
            os.environ.pop("HEALTH_DBT_TEST_WINDOW")
        else:
            os.environ["HEALTH_DBT_TEST_WINDOW"] = previous


def test_rows_of_earlier_loads_are_not_tested_again(two_loads):
    with duckdb.connect(str(two_loads)) as con:  # a duplicate and a null among the earlier load's rows
        con.execute("update raw.intercom_events set event_id = 'e1' where event_id = 'e2'")
        con.execute("update raw.intercom_events set event_name = null where event_id = 'e3'")
    assert failing_tests(two_loads, window=True) == ""
    # Tested whole (a first build, dbt by hand), the same rows fail
    whole = failing_tests(two_loads, window=False)
    assert "source_unique_intercom_events_event_id" in whole
    assert "not_null_columns_stg_intercom__events" in whole


def test_the_last_load_s_rows_are_tested_and_an_id_it_repeats_from_earlier_is_caught(two_loads):
    with duckdb.connect(str(two_loads)) as con:
        con.execute("update raw.intercom_events set event_id = 'e1' where event_id = 'e5'")  # e1 again
        con.execute("update raw.intercom_events set event_name = null where event_id = 'e6'")
    failed = failing_tests(two_loads, window=True)
    assert "source_unique_intercom_events_event_id" in failed
    assert "not_null_columns_stg_intercom__events" in failed


def test_a_daily_run_s_singular_test_reads_the_days_it_built(tmp_path, monkeypatch):
    """every_active_account_day_is_segmented: an unsegmented active day before the run's window was
    tested when it was built; the run's own days are tested as before."""
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema intermediate")
        con.execute(
            "create table intermediate.int_account_revenue_daily as select * from (values "
            "('a1', date '2026-06-01', true), ('a1', date '2026-06-10', true)) "
            "t(account_id, as_of_date, is_active)"
        )
        con.execute(
            "create table intermediate.int_account_segments_daily as select * from (values "
            "('a1', date '2026-06-10')) t(account_id, as_of_date)"
        )
    test = ["test", "--select", "every_active_account_day_is_segmented"]
    monkeypatch.setenv("HEALTH_DBT_MIN_DATE", "2026-06-10")
    monkeypatch.setenv("HEALTH_DBT_MAX_DATE", "2026-06-11")
    monkeypatch.setenv("HEALTH_DBT_TEST_WINDOW", "window")
    run_dbt(path, test)  # 2026-06-01 is outside the window: passes
    monkeypatch.setenv("HEALTH_DBT_MIN_DATE", "2026-06-01")
    with pytest.raises(AssertionError, match="every_active_account_day_is_segmented"):
        run_dbt(path, test)  # the window holds 2026-06-01: its missing segment fails the test
    monkeypatch.setenv("HEALTH_DBT_MIN_DATE", "2026-06-10")
    monkeypatch.setenv("HEALTH_DBT_TEST_WINDOW", "all")
    with pytest.raises(AssertionError, match="every_active_account_day_is_segmented"):
        run_dbt(path, test)  # tested whole (a first build, dbt by hand): fails
