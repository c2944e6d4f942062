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
                   cast(null as timestamp) as delivered_at,
                   cast(null as varchar) as last_error
            from ({new_alerts_sql(drop_points)}) as detected""",
        [datetime.now(UTC).replace(tzinfo=None), oldest_posted, start, end],
    )
    return warehouse.insert_new(ALERTS, detected, key="alert_id")


def deliver_pending(warehouse: Warehouse, url: str | None) -> Delivery:
    """Post every pending or failed alert (oldest first) and record each outcome at once."""
    if not url or not warehouse.columns(ALERTS.name):
        return Delivery(sent=0, failed=0, errors=[])
    pending = warehouse.query(
        f"""select * from {ALERTS.name}
            where delivery_status in ('pending', 'failed') and attempts < ?
            order by as_of_date, alert_id""",
        [MAX_ATTEMPTS],
    )
    sent, errors = 0, []
    for alert in pending.to_dict("records"):
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
        # Recorded right after each post: a crash later cannot make this alert go out twice.
        warehouse.execute(
            f"""update {ALERTS.name} set delivery_status = 'sent', attempts = attempts + 1,
                delivered_at = ?, last_error = null where alert_id = ?""",
            [datetime.now(UTC).replace(tzinfo=None), alert["alert_id"]],
        )
        sent += 1
    return Delivery(sent=sent, failed=len(errors), errors=errors)
