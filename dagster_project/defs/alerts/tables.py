"""The alerts table in the published contract: every alert, and whether it was delivered."""

from dagster_project.warehouse.contract import Column, PublishedTable

ALERTS = PublishedTable(
    name="marts.alerts",
    description="Every alert: an account newly in RISK or with a sharp health drop, and its delivery.",
    columns=(
        Column(
            "alert_id",
            "varchar",
            "Hash of kind, account and day: the same transition is always the same alert.",
        ),
        Column("as_of_date", "date", "The day of the transition."),
        Column("alert_kind", "varchar", "entered_risk or health_drop."),
        Column("account_id", "varchar", "The account."),
        Column("account_name", "varchar", "The account's name."),
        Column("account_owner", "varchar", "The CSM who owns the account; null when unassigned."),
        Column("grade", "varchar", "Health grade that day."),
        Column("health_score", "double", "Health score that day."),
        Column("signal", "varchar", "Signal that day."),
        Column("what_changed", "varchar", "The transition in words ('entered RISK (was OPPORTUNITY)')."),
        Column("reason", "varchar", "The signal's reason with its numbers."),
        Column("recorded_at", "timestamp", "When the alert was first recorded (UTC)."),
        Column(
            "delivery_status",
            "varchar",
            "sent; pending (to be posted); sending (claimed by a delivery, being posted); failed (retried "
            "by the alert sensor); not_configured (no "
            "HEALTH_ALERT_WEBHOOK_URL when recorded); historical (older than the delivery window, never "
            "posted).",
        ),
        Column("attempts", "integer", "Delivery attempts so far (each with its own HTTP retries)."),
        Column("claimed_at", "timestamp", "When a delivery last claimed it for posting (UTC)."),
        Column("delivered_at", "timestamp", "When the webhook accepted it (UTC)."),
        Column("last_error", "varchar", "Why the last attempt failed."),
    ),
)
