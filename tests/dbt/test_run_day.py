"""The run's day ends the history, whatever day the data stops on. Every expected value is worked out by
hand from the scenario below."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from tests.dbt.test_revenue import World, month
from tests.dbt_scenarios import dbt_build, land_scenario, query, run_dbt

D = Decimal


def build_revenue_and_test_it(path, max_date: str) -> None:
    """The revenue marts and everything upstream, with every data test whose models are all built."""
    run_dbt(
        path,
        [
            "build",
            "--select",
            "+mrr_daily +mrr_movements",
            "--indirect-selection",
            "cautious",
            "--vars",
            f'{{"max_date": "{max_date}"}}',
        ],
    )


def quiet_book() -> dict[str, list[dict]]:
    """Billing and usage that stop at the start of February 2026; the run is for 5 December."""
    w = World()
    w.rows["intercom_events"] = [
        {"event_id": "e1", "event_name": "logged-in", "occurred_at": month(11, 2, y=2025)},
        {"event_id": "e2", "event_name": "logged-in", "occurred_at": month(1, 31)},
    ]
    # acct_quiet: $100 a month from 1 Nov 2025, canceled on 1 Feb 2026 at 14:00, invoiced to 1 Feb.
    w.customer("acct_quiet")
    w.subscription(
        "s_quiet",
        "acct_quiet",
        month(11, 1, 0, y=2025),
        month(2, 1, 0),
        status="canceled",
        canceled_at=month(2, 1, 14),
        ended_at=month(2, 1, 14),
    )
    w.item("s_quiet", "growth", 10000, 1)
    for start, end in (
        (month(11, 1, 0, y=2025), month(12, 1, 0, y=2025)),
        (month(12, 1, 0, y=2025), month(1, 1, 0)),
        (month(1, 1, 0), month(2, 1, 0)),
    ):
        w.billed("acct_quiet", "s_quiet", "growth", 10000, 1, start, end)
    return w.rows


@pytest.fixture(scope="module")
def quiet(tmp_path_factory):
    path = land_scenario(tmp_path_factory.mktemp("quiet"), quiet_book())
    build_revenue_and_test_it(path, "2026-12-06")
    return path


def test_a_book_whose_data_stopped_is_built_to_the_run_day(quiet):
    assert query(quiet, "select min(as_of_date), max(as_of_date) from intermediate.int_as_of_dates") == [
        (date(2025, 11, 2), date(2026, 12, 5))
    ]
    mrr = dict(query(quiet, "select date, mrr from marts.mrr_daily where account_id = 'acct_quiet'"))
    assert (mrr[date(2026, 1, 31)], mrr[date(2026, 2, 1)], mrr[date(2026, 12, 5)]) == (
        D("100.00"),
        D("0.00"),
        D("0.00"),
    )


def test_its_cancellation_counts_as_churn_in_its_month(quiet):
    movements = query(
        quiet,
        "select month, previous_mrr, mrr, movement from marts.mrr_movements where account_id = 'acct_quiet' "
        "and movement <> 'unchanged' order by month",
    )
    assert [(m.month, prev, cur, mv) for m, prev, cur, mv in movements] == [
        (11, D("0.00"), D("100.00"), "new"),
        (2, D("100.00"), D("0.00"), "churn"),
    ]


def test_without_a_window_the_history_ends_with_the_data(tmp_path):
    path = land_scenario(tmp_path, quiet_book())
    dbt_build(path, "int_as_of_dates")
    assert query(path, "select max(as_of_date) from intermediate.int_as_of_dates") == [(date(2026, 1, 31),)]


def test_a_subscription_changed_earlier_on_the_run_day_passes_every_test(tmp_path):
    # 10 growth seats at $35 from 10 Jan; upgraded on 5 Mar at 09:00 to 10 enterprise seats at $60,
    # invoiced at once (the prorations, at 10:00); the run is for 5 Mar, the last usage 4 Mar.
    w = World()
    w.rows["intercom_events"] = [
        {"event_id": "e1", "event_name": "logged-in", "occurred_at": month(1, 10)},
        {"event_id": "e2", "event_name": "logged-in", "occurred_at": month(3, 4)},
    ]
    w.customer("acct_up")
    w.subscription("s_up", "acct_up", month(1, 10), month(4, 10))
    w.item("s_up", "enterprise", 6000, 10)
    w.billed("acct_up", "s_up", "growth", 3500, 10, month(1, 10), month(2, 10))
    w.billed("acct_up", "s_up", "growth", 3500, 10, month(2, 10), month(3, 10))
    change = datetime(2026, 3, 5, 9)
    w.invoice("in_change", "acct_up", "s_up", datetime(2026, 3, 5, 10), 4000)
    w.line("in_change", "s_up", "growth", 3500, 10, change, month(3, 10), amount=-5000, proration=True)
    w.line("in_change", "s_up", "enterprise", 6000, 10, change, month(3, 10), amount=9000, proration=True)
    path = land_scenario(tmp_path, w.rows)
    # data_tests: assert_mrr_movements_add_up and assert_mrr_movements_match_mrr_daily among them.
    build_revenue_and_test_it(path, "2026-03-06")
    mrr = dict(query(path, "select date, mrr from marts.mrr_daily where account_id = 'acct_up'"))
    assert (mrr[date(2026, 3, 4)], mrr[date(2026, 3, 5)]) == (D("350.00"), D("600.00"))
    assert max(mrr) == date(2026, 3, 5)
