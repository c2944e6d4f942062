"""Alerts: detected once per transition, posted once to a real local webhook, retried when it fails."""

from __future__ import annotations

from datetime import date, timedelta

import dagster as dg
import pandas as pd
import pytest
from werkzeug import Response

from dagster_project.defs.alerts.assets import alerts
from dagster_project.defs.alerts.resources import AlertWebhook
from dagster_project.defs.alerts.sensors import deliver_alerts, undelivered_alerts_sensor
from dagster_project.defs.alerts.tables import ALERTS
from dagster_project.warehouse.resource import Warehouse
from tests.conftest import ROOT

DAYS = [date(2026, 6, 1) + timedelta(days=d) for d in range(3)]
LAST = str(DAYS[-1])


@pytest.fixture
def warehouse(tmp_path) -> Warehouse:
    """r enters RISK on the last day; s is RISK throughout; h drops 16 points on the second day."""
    warehouse = Warehouse(path=str(tmp_path / "warehouse.duckdb"))
    warehouse.write_table(
        "seeds.worklist_settings", pd.read_csv(ROOT / "seeds" / "worklist_settings.csv", dtype=str)
    )
    signals = {"r": ["NONE", "OPPORTUNITY", "RISK"], "s": ["RISK"] * 3, "h": ["NONE"] * 3}
    changes = {"r": [0, -2, -3], "s": [-1, -1, -1], "h": [-5, -16, -20]}
    rows = [
        {
            "as_of_date": day,
            "account_id": account,
            "signal": signals[account][i],
            "reason": f"churn likelihood {10 * (i + 1)}% vs 5% in segment s",
            "grade": "D",
            "health_score": 40.0,
            "health_score_change_7d": float(changes[account][i]),
        }
        for account in signals
        for i, day in enumerate(DAYS)
    ]
    frame = pd.DataFrame(rows)
    warehouse.write_table(
        "marts.customer_signals_history", frame[["as_of_date", "account_id", "signal", "reason"]]
    )
    warehouse.write_table(
        "marts.customer_health_history",
        frame[["as_of_date", "account_id", "grade", "health_score", "health_score_change_7d"]],
    )
    warehouse.write_table(
        "intermediate.int_accounts",
        pd.DataFrame(
            {
                "account_id": ["r", "s", "h"],
                "account_name": ["Rio", "Sol", "Hub"],
                "account_owner": ["ana", "ben", None],
            }
        ),
    )
    return warehouse


def run_alerts(warehouse: Warehouse, url: str | None, partition: str = LAST) -> dg.ExecuteInProcessResult:
    webhook = AlertWebhook(url=url, max_age_days=2)
    return dg.materialize(
        [alerts], resources={"warehouse": warehouse, "alert_webhook": webhook}, partition_key=partition
    )


def sensor_after_restart(warehouse: Warehouse):
    # A fresh context and no cursor: what the sensor sees after the daemon restarts.
    # The warehouse resource holds the run lock for runs: a sensor opens it inside a context.
    with dg.build_sensor_context(resources={"warehouse": warehouse}) as context:
        return undelivered_alerts_sensor(context)


def test_a_new_risk_account_is_posted_exactly_once_across_two_runs_and_a_sensor_restart(
    warehouse, httpserver
):
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    url = httpserver.url_for("/hook")
    for _ in range(2):
        assert run_alerts(warehouse, url).success
    assert isinstance(sensor_after_restart(warehouse), dg.SkipReason)
    assert deliver_alerts.execute_in_process(
        resources={"warehouse": warehouse, "alert_webhook": AlertWebhook(url=url)}
    ).success
    posts = [request.get_json() for request, _ in httpserver.log]
    assert len(posts) == 1
    assert posts[0]["text"] == "Rio (ana): entered RISK (was OPPORTUNITY)"
    facts = posts[0]["blocks"][1]["text"]["text"]
    assert "*Grade:* D (health 40)" in facts and "*Why:* churn likelihood 30% vs 5% in segment s" in facts
    row = warehouse.query("select * from marts.alerts").iloc[0]
    assert (row["account_id"], row["alert_kind"], row["delivery_status"], row["attempts"]) == (
        "r",
        "entered_risk",
        "sent",
        1,
    )
    assert pd.notna(row["delivered_at"])
    assert ALERTS.matches(warehouse.columns(ALERTS.name))


def test_transitions_only_and_health_drops_the_day_they_happen(warehouse):
    # All three days, no webhook: recorded only. s was RISK from its first day (a transition from nothing);
    # h's drop alerts on the second day only, although it is still down 20 points on the third.
    assert run_alerts(warehouse, url=None, partition=str(DAYS[0])).success  # day 1
    for day in DAYS[1:]:
        assert run_alerts(warehouse, url=None, partition=str(day)).success
    found = warehouse.query(
        "select account_id, alert_kind, as_of_date, delivery_status, what_changed "
        "from marts.alerts order by 1, 2"
    )
    assert [(r.account_id, r.alert_kind, r.as_of_date.date()) for r in found.itertuples()] == [
        ("h", "health_drop", DAYS[1]),
        ("r", "entered_risk", DAYS[2]),
        ("s", "entered_risk", DAYS[0]),
    ]
    assert set(found["delivery_status"]) == {"not_configured"}
    assert found.loc[found["account_id"] == "h", "what_changed"].item() == "health down 16 points in 7 days"


def test_a_webhook_that_fails_first_is_retried_within_the_run(warehouse, httpserver):
    httpserver.expect_ordered_request("/hook", method="POST").respond_with_data("busy", status=503)
    httpserver.expect_ordered_request("/hook", method="POST").respond_with_data("ok")
    assert run_alerts(warehouse, httpserver.url_for("/hook")).success
    assert len(httpserver.log) == 2
    row = warehouse.query("select delivery_status, attempts from marts.alerts").iloc[0]
    assert (row["delivery_status"], row["attempts"]) == ("sent", 1)


def test_a_webhook_that_keeps_failing_leaves_the_alert_for_the_sensor(warehouse, httpserver):
    failing = {"on": True}

    def hook(request):
        return Response("down", status=500) if failing["on"] else Response("ok")

    httpserver.expect_request("/hook", method="POST").respond_with_handler(hook)
    url = httpserver.url_for("/hook")
    assert run_alerts(warehouse, url).success  # the run goes on; the alert is kept as failed
    row = warehouse.query("select delivery_status, attempts, last_error from marts.alerts").iloc[0]
    assert (row["delivery_status"], row["attempts"]) == ("failed", 1)
    assert "kept failing after 3 attempts (last: HTTP 500)" in row["last_error"]
    assert len(httpserver.log) == 3

    request = sensor_after_restart(warehouse)
    assert isinstance(request, dg.RunRequest)
    assert sensor_after_restart(warehouse).run_key == request.run_key  # a second tick asks for the same run
    failing["on"] = False
    assert deliver_alerts.execute_in_process(
        resources={"warehouse": warehouse, "alert_webhook": AlertWebhook(url=url)}
    ).success
    assert warehouse.query("select delivery_status, attempts from marts.alerts").iloc[0].tolist() == [
        "sent",
        2,
    ]
    assert isinstance(sensor_after_restart(warehouse), dg.SkipReason)
    assert len(httpserver.log) == 4


def test_a_history_build_records_old_transitions_without_posting_them(warehouse, httpserver):
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    webhook = AlertWebhook(url=httpserver.url_for("/hook"), max_age_days=0)
    result = dg.materialize(
        [alerts],
        resources={"warehouse": warehouse, "alert_webhook": webhook},
        tags={"dagster/asset_partition_range_start": str(DAYS[0]), "dagster/asset_partition_range_end": LAST},
    )
    assert result.success
    statuses = dict(
        warehouse.query(
            "select account_id || ':' || alert_kind, delivery_status from marts.alerts"
        ).itertuples(index=False)
    )
    assert statuses == {
        "r:entered_risk": "sent",
        "s:entered_risk": "historical",
        "h:health_drop": "historical",
    }
    assert len(httpserver.log) == 1


def test_an_account_without_owner_reads_no_owner_and_a_missing_day_does_not_look_new(warehouse, httpserver):
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    # The second day's run never happened for s (RISK on days 1 and 3): still no transition on day 3.
    warehouse.execute(
        "delete from marts.customer_signals_history where account_id = 's' and as_of_date = ?", [DAYS[1]]
    )
    assert run_alerts(warehouse, httpserver.url_for("/hook"), partition=str(DAYS[1])).success
    assert run_alerts(warehouse, httpserver.url_for("/hook"), partition=LAST).success
    texts = sorted(request.get_json()["text"] for request, _ in httpserver.log)
    assert texts == [
        "Hub (no owner): health down 16 points in 7 days",
        "Rio (ana): entered RISK (was OPPORTUNITY)",
    ]


def test_an_alert_claimed_by_another_delivery_is_left_to_it_unless_that_delivery_died(warehouse, httpserver):
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    assert run_alerts(warehouse, url=None).success
    warehouse.execute("update marts.alerts set delivery_status = 'sending', claimed_at = now()::timestamp")
    assert isinstance(sensor_after_restart(warehouse), dg.SkipReason)
    url = httpserver.url_for("/hook")
    assert deliver_alerts.execute_in_process(
        resources={"warehouse": warehouse, "alert_webhook": AlertWebhook(url=url)}
    ).success
    assert len(httpserver.log) == 0
    # Claimed an hour ago and never recorded: that delivery died, so the alert goes out now.
    warehouse.execute("update marts.alerts set claimed_at = now()::timestamp - interval 1 hour")
    assert isinstance(sensor_after_restart(warehouse), dg.RunRequest)
    assert deliver_alerts.execute_in_process(
        resources={"warehouse": warehouse, "alert_webhook": AlertWebhook(url=url)}
    ).success
    assert len(httpserver.log) == 1
    assert warehouse.query("select delivery_status from marts.alerts")["delivery_status"].tolist() == ["sent"]
