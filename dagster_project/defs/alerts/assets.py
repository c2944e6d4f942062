"""Alerts: record each day's transitions, then post the undelivered ones to the webhook."""

import dagster as dg

from dagster_project.defs.alerts.delivery import deliver_pending, record_new_alerts
from dagster_project.defs.alerts.resources import AlertWebhook
from dagster_project.defs.alerts.tables import ALERTS
from dagster_project.defs.owners import DATA_ENGINEERING
from dagster_project.defs.partitions import SINGLE_RUN, as_of_window, daily_partitions
from dagster_project.defs.worklist.assets import load_settings
from dagster_project.warehouse.resource import Warehouse


@dg.asset(
    key=["marts", "alerts"],
    deps=[["marts", "customer_signals_history"], ["marts", "customer_health_history"]],
    group_name="alerts",
    owners=[DATA_ENGINEERING],
    kinds={"python", "duckdb", "slack"},
    metadata={"dagster/column_schema": ALERTS.column_schema()},
    partitions_def=daily_partitions,
    backfill_policy=SINGLE_RUN,
)
def alerts(
    context: dg.AssetExecutionContext, warehouse: Warehouse, alert_webhook: AlertWebhook
) -> dg.MaterializeResult:
    """Accounts that newly entered RISK, or whose health dropped alert_health_drop_points (default 15) or
    more in 7 days, on the run's days: recorded once each in marts.alerts (an id per kind, account and
    day) and posted to HEALTH_ALERT_WEBHOOK_URL as Slack-compatible JSON, with retries. A re-run finds
    the same alerts and posts nothing twice; failed posts stay pending for the alert sensor to retry.
    Without a URL alerts are only recorded; transitions older than HEALTH_ALERT_MAX_AGE_DAYS before the
    latest day (a history build) are recorded as historical and never posted."""
    start, end = as_of_window(context)
    settings = load_settings(warehouse)
    url = alert_webhook.webhook_url()
    new = record_new_alerts(
        warehouse, start, end, settings.alert_health_drop_points, url, alert_webhook.max_age()
    )
    delivery = deliver_pending(warehouse, url)
    for error in delivery.errors:
        context.log.warning(error)
    counts = warehouse.query(
        f"select delivery_status, count(*) as n from {ALERTS.name} group by 1 order by 1"
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": int(counts["n"].sum()),
            "new_alerts": new,
            "posted": delivery.sent,
            "failed_posts": delivery.failed,
            "webhook": "configured" if url else "not set (recorded only)",
            **{f"status_{row.delivery_status}": int(row.n) for row in counts.itertuples()},
        }
    )
