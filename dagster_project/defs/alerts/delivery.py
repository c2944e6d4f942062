"""Record new alerts and post the undelivered ones: shared by the alerts asset and the retry job."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from dagster_project.alerts.detect import new_alerts_sql
from dagster_project.alerts.webhook import WebhookError, post_alert, slack_message
from dagster_project.defs.alerts.tables import ALERTS
from dagster_project.warehouse.resource import Query, Warehouse

# Delivery attempts (each with its own HTTP retries) before an alert is given up as failed.
MAX_ATTEMPTS = 10
# A claim older than this belongs to a delivery that died: the alert may be claimed again.
STALE_CLAIM = timedelta(minutes=15)
# Alerts a delivery may post: waiting, failed but not given up, or claimed by a delivery that died.
DELIVERABLE = f"""(delivery_status in ('pending', 'failed') and attempts < {MAX_ATTEMPTS})
    or (delivery_status = 'sending' and claimed_at < ?)"""


@dataclass(frozen=True)
class Delivery:
    sent: int
    failed: int
    errors: list[str]


def record_new_alerts(
    warehouse: Warehouse, start: date, end: date, drop_points: float, url: str | None, max_age_days: int
) -> int:
    """Add the window's transitions not recorded yet; an alert already recorded keeps its status."""
    latest = warehouse.scalar("select max(as_of_date) from marts.customer_signals_history")
    oldest_posted = (latest or end) - timedelta(days=max_age_days)
    status = "pending" if url else "not_configured"
    detected = Query(
        f"""select detected.*,
                   cast(? as timestamp) as recorded_at,
                   case when detected.as_of_date < ? then 'historical' else '{status}' end as delivery_status,
                   0 as attempts,
                   cast(null as timestamp) as claimed_at,
                   cast(null as timestamp) as delivered_at,
                   cast(null as varchar) as last_error
            from ({new_alerts_sql(drop_points)}) as detected""",
        [utc_now(), oldest_posted, start, end],
    )
    return warehouse.insert_new(ALERTS, detected, key="alert_id")


def deliver_pending(warehouse: Warehouse, url: str | None) -> Delivery:
    """Claim every deliverable alert, post each (oldest first) and record each outcome at once.

    The claim is one transaction (status ``sending``), so two deliveries running
    side by side (the daily run and the sensor's job) never post the same alert.
    An alert is posted exactly once unless a process dies between the post and
    its record; then it is posted again after `STALE_CLAIM` (at least once).
    """
    if not url or not warehouse.columns(ALERTS.name):
        return Delivery(sent=0, failed=0, errors=[])
    now = utc_now()
    claimed = warehouse.execute(
        f"""update {ALERTS.name} set delivery_status = 'sending', claimed_at = ?
            where {DELIVERABLE}
            returning *""",
        [now, now - STALE_CLAIM],
    )
    # DuckDB gives NaN for a missing text: None reads right in the message ("no owner").
    claimed = claimed.astype(object).where(claimed.notna(), None).sort_values(["as_of_date", "alert_id"])
    sent, errors = 0, []
    for alert in claimed.to_dict("records"):
        try:
            post_alert(url, slack_message(alert))
        except WebhookError as error:
            errors.append(str(error))
            warehouse.execute(
                f"""update {ALERTS.name} set delivery_status = 'failed', attempts = attempts + 1,
                    last_error = ? where alert_id = ?""",
                [str(error), alert["alert_id"]],
            )
            continue
        # Recorded right after each post: a failure later cannot make this alert go out twice.
        warehouse.execute(
            f"""update {ALERTS.name} set delivery_status = 'sent', attempts = attempts + 1,
                delivered_at = ?, last_error = null where alert_id = ?""",
            [utc_now(), alert["alert_id"]],
        )
        sent += 1
    return Delivery(sent=sent, failed=len(errors), errors=errors)


def utc_now() -> datetime:
    """Now in UTC as a naive timestamp, as the alerts table stores it."""
    return datetime.now(UTC).replace(tzinfo=None)
