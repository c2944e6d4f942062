"""The as-of dates of the history: from the first day with billing and usage data to the last with data."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from tests.dbt_scenarios import dbt_build, land_scenario, query


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    return land_scenario(
        tmp_path_factory.mktemp("as_of"),
        {
            "stripe_subscriptions": [
                {
                    "subscription_id": "s1",
                    "customer_id": "c1",
                    "status": "active",
                    "created_at": datetime(2026, 1, 1),
                    "started_at": datetime(2026, 1, 1),
                }
            ],
            # Usage starts later than billing; the last data is a ticket on 10 January.
            "intercom_events": [
                {"event_id": "e1", "event_name": "logged-in", "occurred_at": datetime(2026, 1, 3, 9)},
                {"event_id": "e2", "event_name": "logged-in", "occurred_at": datetime(2026, 1, 8, 23, 59)},
            ],
            "intercom_tickets": [
                {
                    "ticket_id": "t1",
                    "priority": "low",
                    "state": "resolved",
                    "created_at": datetime(2026, 1, 10, 1),
                }
            ],
        },
    )


def dates(warehouse) -> list[date]:
    return [d for (d,) in query(warehouse, "select as_of_date from intermediate.int_as_of_dates order by 1")]


def test_history_spans_the_days_with_both_billing_and_usage_data(warehouse):
    dbt_build(warehouse, "int_as_of_dates")
    assert dates(warehouse) == [date(2026, 1, d) for d in range(3, 11)]
