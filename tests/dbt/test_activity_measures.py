"""Engagement, adoption, support and relationship measures per account and as-of date.

One hand-made world, built once by dbt; every expected value is worked out by hand in the comments.
As of date D counts everything up to the end of D; a trailing window of N days is D-(N-1) .. D.

- acct_a (growth plan, 4 seats): the product events.
- acct_b (starter plan, 2 seats): no events; the tickets, surveys and conversations.

Windows: engagement 30 days (prior window: the 30 days before), support 90 days. The history (the
as-of dates) runs from 5 January 2026, the first event, to 11 March 2026, the last one.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from tests.dbt_scenarios import dbt_build, land_scenario, query

MODELS = (
    "int_account_engagement_daily",
    "int_account_adoption_daily",
    "int_account_support_daily",
    "int_account_relationship_daily",
)


def event(n: int, contact: str, name: str, at: datetime) -> dict:
    return {
        "event_id": f"e{n}",
        "account_id": "acct_a",
        "contact_id": contact,
        "event_name": name,
        "occurred_at": at,
    }


def ticket(
    ticket_id: str, priority: str, created: datetime, closed: datetime | None, rating: int | None = None
) -> dict:
    return {
        "ticket_id": ticket_id,
        "account_id": "acct_b",
        "priority": priority,
        "state": "resolved" if closed else "in_progress",
        "created_at": created,
        "updated_at": closed or created,
        "closed_at": closed,
        "rating": rating,
    }


def survey(response_id: str, kind: str, score: int, at: datetime) -> dict:
    return {
        "response_id": response_id,
        "account_id": "acct_b",
        "survey_type": kind,
        "score": score,
        "responded_at": at,
    }


def conversation(
    conversation_id: str, by: str, created: datetime, answered_by: str | None, answered: datetime | None
) -> dict:
    return {
        "conversation_id": conversation_id,
        "account_id": "acct_b",
        "initiated_by": by,
        "answered_by": answered_by,
        "state": "closed" if answered else "open",
        "created_at": created,
        "first_response_at": answered,
        "updated_at": answered or created,
    }


WORLD = {
    "stripe_customers": [
        {
            "customer_id": "cus_a",
            "account_id": "acct_a",
            "currency": "usd",
            "created_at": datetime(2026, 1, 1),
        },
        {
            "customer_id": "cus_b",
            "account_id": "acct_b",
            "currency": "usd",
            "created_at": datetime(2025, 11, 1),
        },
    ],
    "stripe_subscriptions": [
        {
            "subscription_id": "sub_a",
            "customer_id": "cus_a",
            "status": "active",
            "created_at": datetime(2026, 1, 1),
            "started_at": datetime(2026, 1, 1),
            "current_period_start": datetime(2026, 3, 1),
            "current_period_end": datetime(2026, 4, 1),
        },
        {
            "subscription_id": "sub_b",
            "customer_id": "cus_b",
            "status": "active",
            "created_at": datetime(2025, 11, 1),
            "started_at": datetime(2025, 11, 1),
            "current_period_start": datetime(2026, 3, 1),
            "current_period_end": datetime(2026, 4, 1),
        },
    ],
    "stripe_subscription_items": [
        {
            "subscription_item_id": "si_a",
            "subscription_id": "sub_a",
            "plan_name": "growth",
            "unit_amount": 5000,
            "currency": "usd",
            "interval": "month",
            "interval_count": 1,
            "quantity": 4,
            "created_at": datetime(2026, 1, 1),
        },
        {
            "subscription_item_id": "si_b",
            "subscription_id": "sub_b",
            "plan_name": "starter",
            "unit_amount": 2000,
            "currency": "usd",
            "interval": "month",
            "interval_count": 1,
            "quantity": 2,
            "created_at": datetime(2025, 11, 1),
        },
    ],
    # Weights (seeds/event_weights.csv): logged-in 1, created-report 3, shared-report 3, exported-csv 2;
    # played-game is not listed, so it weighs var('default_event_weight') = 0.5.
    # Growth's key features include created-report and shared-report, not exported-csv (a starter one).
    "intercom_events": [
        event(1, "ca1", "logged-in", datetime(2026, 1, 5, 9)),
        event(2, "ca1", "created-report", datetime(2026, 1, 10, 9)),
        event(3, "ca3", "logged-in", datetime(2026, 1, 30, 23, 59)),
        event(4, "ca3", "logged-in", datetime(2026, 1, 31, 0, 1)),
        event(5, "ca2", "logged-in", datetime(2026, 2, 10, 9)),
        event(6, "ca2", "played-game", datetime(2026, 2, 10, 10)),
        event(7, "ca2", "shared-report", datetime(2026, 2, 10, 11)),
        event(8, "ca3", "exported-csv", datetime(2026, 2, 20, 9)),
        event(9, "ca1", "created-report", datetime(2026, 2, 27, 9)),
        event(10, "ca1", "created-report", datetime(2026, 2, 27, 16)),
        event(11, "ca1", "logged-in", datetime(2026, 3, 11, 9)),
    ],
    # Priority weights (seeds/ticket_priority_weights.csv): low 1, normal 2, high 4, urgent 8.
    "intercom_tickets": [
        ticket("t0", "low", datetime(2025, 12, 1, 9), datetime(2025, 12, 1, 11), rating=1),  # 2 h
        ticket("t1", "low", datetime(2026, 1, 10, 9), datetime(2026, 1, 10, 15), rating=5),  # 6 h
        ticket("t2", "normal", datetime(2026, 1, 20, 8), datetime(2026, 1, 22, 8), rating=3),  # 48 h
        ticket("t3", "urgent", datetime(2026, 2, 1, 10), datetime(2026, 2, 2, 10)),  # 24 h
        ticket("t4", "urgent", datetime(2026, 2, 20, 12), None),  # never closed
        ticket("t5", "high", datetime(2026, 2, 25, 6), datetime(2026, 3, 1, 18)),  # 108 h
        ticket("t6", "urgent", datetime(2026, 2, 26, 9), datetime(2026, 3, 5, 9)),  # 168 h
    ],
    "intercom_survey_responses": [
        survey("r1", "csat", 4, datetime(2026, 2, 3, 12)),
        survey("r2", "csat", 5, datetime(2026, 2, 15, 12)),
        survey("r3", "csat", 1, datetime(2026, 3, 2, 12)),
        survey("n1", "nps", 9, datetime(2026, 1, 15, 10)),
        survey("n2", "nps", 6, datetime(2026, 2, 10, 10)),
        survey("n3", "nps", 8, datetime(2026, 2, 10, 15)),  # later the same day: the day's answer
        survey("n4", "nps", 3, datetime(2026, 3, 3, 10)),
    ],
    "intercom_conversations": [
        # team outreach answered two days later: two-way on 12 Jan
        conversation("cv1", "team", datetime(2026, 1, 10, 9), "customer", datetime(2026, 1, 12, 10)),
        # a customer's question the team answered: two-way on 1 Feb
        conversation("cv2", "customer", datetime(2026, 2, 1, 9), "team", datetime(2026, 2, 1, 11)),
        # team outreach never answered
        conversation("cv3", "team", datetime(2026, 2, 14, 9), None, None),
        # team outreach answered on 3 Mar: not yet known on 1 Mar
        conversation("cv4", "team", datetime(2026, 2, 25, 9), "customer", datetime(2026, 3, 3, 10)),
        # a customer's question nobody answered: not two-way
        conversation("cv5", "customer", datetime(2026, 2, 20, 9), None, None),
    ],
}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    path = land_scenario(tmp_path_factory.mktemp("activity"), WORLD)
    # One dbt run for the four models and everything upstream ("+" is prefixed to the first by dbt_build).
    dbt_build(path, " +".join(MODELS))
    return path


def row(warehouse, model: str, account: str, day: date) -> dict:
    columns = [
        c
        for (c,) in query(
            warehouse,
            "select column_name from information_schema.columns"
            f" where table_schema = 'intermediate' and table_name = '{model}' order by ordinal_position",
        )
    ]
    rows = query(
        warehouse,
        f"select * from intermediate.{model}"
        f" where account_id = '{account}' and as_of_date = date '{day.isoformat()}'",
    )
    assert len(rows) == 1, (model, account, day, rows)
    return {c: (float(v) if hasattr(v, "as_tuple") else v) for c, v in zip(columns, rows[0], strict=True)}


def test_every_spine_row_once_in_every_model(warehouse):
    # 66 days (5 Jan .. 11 Mar) for each of the two accounts
    assert query(warehouse, "select count(*) from intermediate.int_account_days") == [(132,)]
    for model in MODELS:
        keys = f"select count(*), count(distinct (account_id, as_of_date)) from intermediate.{model}"
        assert query(warehouse, keys) == [(132, 132)], model


def test_weighted_events_trend_and_active_contacts(warehouse):
    # 1 Mar: window 31 Jan .. 1 Mar, prior window 1 Jan .. 30 Jan.
    # Window: ca3 logged-in 31 Jan 00:01 (1), ca2 logged-in + played-game (unlisted, 0.5) + shared-report
    # on 10 Feb (1 + 0.5 + 3), ca3 exported-csv 20 Feb (2), ca1 created-report x2 27 Feb (6):
    # 7 events, 13.5 weighted. Prior: ca1 5 Jan (1), 10 Jan (3), ca3 30 Jan 23:59 (1) = 5.
    # Trend 13.5 / 5 = 2.7.
    # Contacts: ca1, ca2, ca3 over 30 days; only ca1 over the last 7 (23 Feb .. 1 Mar).
    assert row(warehouse, "int_account_engagement_daily", "acct_a", date(2026, 3, 1)) == {
        "account_id": "acct_a",
        "as_of_date": date(2026, 3, 1),
        "events_30d": 7,
        "weighted_events_30d": 13.5,
        "weighted_events_prior_30d": 5.0,
        "engagement_trend": pytest.approx(2.7),
        "active_contacts_7d": 1,
        "active_contacts_30d": 3,
    }
    # 20 Jan: window 22 Dec .. 20 Jan holds 5 Jan (1) and 10 Jan (3); nothing before: no trend.
    # ca1 last acted 10 Jan, outside 14 .. 20 Jan.
    jan_20 = row(warehouse, "int_account_engagement_daily", "acct_a", date(2026, 1, 20))
    assert (jan_20["events_30d"], jan_20["weighted_events_30d"], jan_20["weighted_events_prior_30d"]) == (
        2,
        4.0,
        0.0,
    )
    assert jan_20["engagement_trend"] is None
    assert (jan_20["active_contacts_7d"], jan_20["active_contacts_30d"]) == (0, 1)


def test_active_contacts_leave_the_7_day_window_on_the_8th_day(warehouse):
    def recent(day):
        return row(warehouse, "int_account_engagement_daily", "acct_a", day)["active_contacts_7d"]

    # ca1's 27 Feb counts from 27 Feb to 5 Mar (7 days), not on 6 Mar; ca1 is back on 11 Mar.
    assert [recent(date(2026, 3, d)) for d in (5, 6, 10, 11)] == [1, 0, 0, 1]


def test_an_account_without_events_has_zeros_and_no_trend(warehouse):
    quiet = row(warehouse, "int_account_engagement_daily", "acct_b", date(2026, 3, 1))
    assert quiet["events_30d"] == 0 and quiet["weighted_events_30d"] == 0
    assert quiet["active_contacts_7d"] == 0 and quiet["active_contacts_30d"] == 0
    assert quiet["engagement_trend"] is None


def test_feature_breadth_and_seat_depth(warehouse):
    # 1 Mar, growth plan (9 key features): created-report and shared-report used in 31 Jan .. 1 Mar;
    # exported-csv is a starter key feature only. 3 active contacts on 4 seats.
    assert row(warehouse, "int_account_adoption_daily", "acct_a", date(2026, 3, 1)) == {
        "account_id": "acct_a",
        "as_of_date": date(2026, 3, 1),
        "plan_name": "growth",
        "key_features": 9,
        "key_features_used_30d": 2,
        "feature_breadth": pytest.approx(2 / 9),
        "licensed_seats": 4,
        "seat_depth": pytest.approx(0.75),
    }
    # 20 Jan: created-report (10 Jan) only; ca1 alone on 4 seats.
    jan_20 = row(warehouse, "int_account_adoption_daily", "acct_a", date(2026, 1, 20))
    assert (jan_20["key_features_used_30d"], jan_20["feature_breadth"], jan_20["seat_depth"]) == (
        1,
        pytest.approx(1 / 9),
        pytest.approx(0.25),
    )
    # acct_b: starter (6 key features), nothing used, nobody active on 2 seats.
    quiet = row(warehouse, "int_account_adoption_daily", "acct_b", date(2026, 3, 1))
    assert (quiet["plan_name"], quiet["key_features"], quiet["key_features_used_30d"]) == ("starter", 6, 0)
    assert (quiet["feature_breadth"], quiet["licensed_seats"], quiet["seat_depth"]) == (0.0, 2, 0.0)


def test_support_on_1_march(warehouse):
    # Window 2 Dec .. 1 Mar: t1 .. t6 (t0, raised 1 Dec, just left): 1 + 2 + 8 + 8 + 4 + 8 = 31.
    # Open at the end of 1 Mar: urgent t4 (since 20 Feb: 9 days) and t6 (closes 5 Mar); high t5 closed
    # on 1 Mar itself. Closed in the window: t1 6 h, t3 24 h, t2 48 h, t5 108 h: median (24 + 48) / 2 = 36.
    # CSAT: ratings t1 5, t2 3, surveys 4 (3 Feb) and 5 (15 Feb); 1 on 2 Mar is later: 17 / 4 = 4.25.
    # NPS: 6 and then 8 on 10 Feb, the later one is the day's answer: passive.
    assert row(warehouse, "int_account_support_daily", "acct_b", date(2026, 3, 1)) == {
        "account_id": "acct_b",
        "as_of_date": date(2026, 3, 1),
        "tickets_90d": 6,
        "weighted_tickets_90d": 31.0,
        "open_urgent_tickets": 2,
        "open_high_tickets": 0,
        "oldest_open_urgent_ticket_days": 9,
        "median_hours_to_close_90d": pytest.approx(36.0),
        "csat_average_90d": pytest.approx(4.25),
        "csat_responses_90d": 4,
        "nps_latest": 8,
        "nps_class": "passive",
    }


def test_support_the_day_before_and_after(warehouse):
    # 28 Feb: window 1 Dec .. 28 Feb still holds t0 (low, 2 h, rated 1): 7 tickets, 32 weighted;
    # high t5 still open; oldest urgent 8 days; closed: 2, 6, 24, 48 h -> median 15;
    # CSAT (1 + 5 + 3 + 4 + 5) / 5 = 3.6.
    feb_28 = row(warehouse, "int_account_support_daily", "acct_b", date(2026, 2, 28))
    assert (feb_28["tickets_90d"], feb_28["weighted_tickets_90d"]) == (7, 32.0)
    assert (
        feb_28["open_urgent_tickets"],
        feb_28["open_high_tickets"],
        feb_28["oldest_open_urgent_ticket_days"],
    ) == (2, 1, 8)
    assert feb_28["median_hours_to_close_90d"] == pytest.approx(15.0)
    assert (feb_28["csat_average_90d"], feb_28["csat_responses_90d"]) == (pytest.approx(3.6), 5)
    # 5 Mar: t6 closed that day; t4 still open, 13 days. The CSAT 1 of 2 Mar: 18 / 5 = 3.6.
    # Closed in the window: 6, 24, 48, 108, 168 h -> 48. NPS 3 on 3 Mar: detractor.
    mar_5 = row(warehouse, "int_account_support_daily", "acct_b", date(2026, 3, 5))
    assert (mar_5["open_urgent_tickets"], mar_5["oldest_open_urgent_ticket_days"]) == (1, 13)
    assert mar_5["median_hours_to_close_90d"] == pytest.approx(48.0)
    assert (mar_5["csat_average_90d"], mar_5["csat_responses_90d"]) == (pytest.approx(3.6), 5)
    assert (mar_5["nps_latest"], mar_5["nps_class"]) == (3, "detractor")


def test_latest_nps_as_of_a_date(warehouse):
    def nps(day):
        found = row(warehouse, "int_account_support_daily", "acct_b", day)
        return found["nps_latest"], found["nps_class"]

    # Nothing before 15 Jan; 9 from then until 10 Feb.
    assert nps(date(2026, 1, 14)) == (None, None)
    assert nps(date(2026, 1, 15)) == (9, "promoter")
    assert nps(date(2026, 2, 9)) == (9, "promoter")


def test_an_account_without_tickets_has_zeros_and_nulls(warehouse):
    quiet = row(warehouse, "int_account_support_daily", "acct_a", date(2026, 3, 1))
    assert {k: v for k, v in quiet.items() if k not in ("account_id", "as_of_date")} == {
        "tickets_90d": 0,
        "weighted_tickets_90d": 0.0,
        "open_urgent_tickets": 0,
        "open_high_tickets": 0,
        "oldest_open_urgent_ticket_days": None,
        "median_hours_to_close_90d": None,
        "csat_average_90d": None,
        "csat_responses_90d": 0,
        "nps_latest": None,
        "nps_class": None,
    }


def test_two_way_conversations_and_outreach_answered(warehouse):
    def relationship(day):
        found = row(warehouse, "int_account_relationship_daily", "acct_b", day)
        return (
            found["days_since_two_way_conversation"],
            found["team_outreach_90d"],
            found["team_outreach_answered_90d"],
            found["outreach_answer_rate_90d"],
        )

    # 9 Jan: nothing yet. 11 Jan: outreach cv1 sent 10 Jan, not answered until 12 Jan.
    assert relationship(date(2026, 1, 9)) == (None, 0, 0, None)
    assert relationship(date(2026, 1, 11)) == (None, 1, 0, 0.0)
    # 12 Jan: answered that day: two-way, 0 days ago.
    assert relationship(date(2026, 1, 12)) == (0, 1, 1, 1.0)
    # 1 Mar: last two-way is cv2 on 1 Feb (28 days); outreach cv1, cv3, cv4, only cv1 answered so far.
    assert relationship(date(2026, 3, 1)) == (28, 3, 1, pytest.approx(1 / 3))
    # 5 Mar: cv4 answered on 3 Mar (2 days ago); 2 of 3 answered.
    assert relationship(date(2026, 3, 5)) == (2, 3, 2, pytest.approx(2 / 3))


def test_rebuilding_a_window_gives_the_same_rows(warehouse, tmp_path):
    before = {m: query(warehouse, f"select * from intermediate.{m} order by 1, 2") for m in MODELS}
    dbt_build(warehouse, " +".join(MODELS), dbt_vars={"min_date": "2026-02-27", "max_date": "2026-03-03"})
    for model in MODELS:
        assert query(warehouse, f"select * from intermediate.{model} order by 1, 2") == before[model], model
