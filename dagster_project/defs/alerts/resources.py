"""Where alerts go (``HEALTH_ALERT_WEBHOOK_URL``) and how old one may be to be posted; read at run time."""

import dagster as dg

from dagster_project.settings import env_or


class AlertWebhook(dg.ConfigurableResource):
    """The Slack-compatible webhook (``url``, else ``HEALTH_ALERT_WEBHOOK_URL``; unset: alerts are only
    recorded) and ``max_age_days`` (else ``HEALTH_ALERT_MAX_AGE_DAYS``, default 2): transitions older
    than that before the latest day are recorded as historical, never posted, so building years of
    history does not flood the channel."""

    url: str | None = None
    max_age_days: int | None = None

    def webhook_url(self) -> str | None:
        return self.url or env_or("HEALTH_ALERT_WEBHOOK_URL")

    def max_age(self) -> int:
        return (
            self.max_age_days
            if self.max_age_days is not None
            else int(env_or("HEALTH_ALERT_MAX_AGE_DAYS", "2"))
        )
