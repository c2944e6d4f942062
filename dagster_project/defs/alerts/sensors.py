"""The alert sensor: retries posts that failed, in a run of their own, once per set of attempts."""

import hashlib

import dagster as dg

from dagster_project.defs.alerts.delivery import DELIVERABLE, STALE_CLAIM, deliver_pending, utc_now
from dagster_project.defs.alerts.resources import AlertWebhook
from dagster_project.defs.alerts.tables import ALERTS
from dagster_project.warehouse.resource import Warehouse, WarehouseBusyError


@dg.op
def post_undelivered_alerts(
    context: dg.OpExecutionContext, warehouse: Warehouse, alert_webhook: AlertWebhook
) -> None:
    """Post every pending or failed alert of marts.alerts and record each outcome."""
    delivery = deliver_pending(warehouse, alert_webhook.webhook_url())
    for error in delivery.errors:
        context.log.warning(error)
    context.log.info(f"alerts posted: {delivery.sent}, failed again: {delivery.failed}")


@dg.job(
    description="Post the alerts of marts.alerts that are still pending or failed.",
    tags={"health/writes": "warehouse"},
)
def deliver_alerts():
    post_undelivered_alerts()


@dg.sensor(job=deliver_alerts, minimum_interval_seconds=300, default_status=dg.DefaultSensorStatus.RUNNING)
def undelivered_alerts_sensor(context: dg.SensorEvaluationContext, warehouse: Warehouse):
    """Every 5 minutes: if marts.alerts holds alerts not delivered yet, start one delivery run. The run key
    is built from those alerts and their attempts, so a sensor restart or a second tick never posts an
    alert twice; a new failed attempt gives a new key and so another try."""
    try:
        if not warehouse.columns(ALERTS.name):
            return dg.SkipReason(f"{ALERTS.name} is not built yet")
        pending = warehouse.query(
            f"select alert_id, attempts from {ALERTS.name} where {DELIVERABLE} order by alert_id",
            [utc_now() - STALE_CLAIM],
        )
    except (WarehouseBusyError, ConnectionError) as error:
        # A run is writing the warehouse (DuckDB lets no one else open it), or the server is down.
        return dg.SkipReason(f"cannot read {ALERTS.name} now: {error}")
    if pending.empty:
        return dg.SkipReason("every alert is delivered (or recorded only)")
    key = hashlib.sha256(
        "".join(f"{r.alert_id}:{r.attempts};" for r in pending.itertuples()).encode()
    ).hexdigest()
    return dg.RunRequest(run_key=f"alerts-{key[:16]}", tags={"undelivered_alerts": str(len(pending))})
