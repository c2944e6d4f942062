"""Churn drivers in the words and number formats CSMs already see in the health drivers."""

from __future__ import annotations

import pytest

from dagster_project.churn import Driver
from dagster_project.defs.churn.predictions import describe_driver, format_value, reads_as_average


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        (0.494, "share", "49%"),
        (0.456, "ratio", "0.46"),
        (8.0, "number", "8"),
        (8.44, "days", "8.4"),
        (-0.04, "money", "0.0"),
    ],
)
def test_numbers_are_formatted_like_the_health_drivers(value, unit, shown):
    assert format_value(value, unit) == shown


def test_a_driver_says_which_side_of_the_average_the_account_is():
    low = Driver(feature="active_contacts_30d", value=2.0, average=8.44, contribution=0.7)
    assert (
        describe_driver(low, "active users (30 days)", "number")
        == "low active users (30 days): 2 vs 8.4 on average"
    )
    high = Driver(feature="days_past_due", value=40.0, average=1.3, contribution=0.4)
    assert describe_driver(high, "days an invoice is past due", "days").startswith("high days an invoice")
    missing = Driver(feature="nps_latest", value=None, average=7.1, contribution=0.1)
    assert describe_driver(missing, "latest NPS answer", "number") == "no value for latest NPS answer"


@pytest.mark.parametrize(
    ("value", "average", "unit", "same"),
    [
        (0.0, 0.04, "number", True),  # '0 vs 0.0 on average' compares nothing
        (0.0, 0.06, "number", False),  # '0 vs 0.1'
        (0.494, 0.4901, "share", True),  # '49% vs 49%'
        (0.5, 0.49, "share", False),
        (None, 0.0, "number", False),  # a missing value is worth saying
    ],
)
def test_a_driver_that_reads_as_the_average_is_recognised(value, average, unit, same):
    driver = Driver(feature="failed_invoices_90d", value=value, average=average, contribution=-0.3)
    assert reads_as_average(driver, unit) is same
