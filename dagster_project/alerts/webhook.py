"""Post an alert to a Slack-compatible incoming webhook, with bounded retries (httpx + tenacity)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx
import tenacity


class WebhookError(RuntimeError):
    """The webhook did not accept the alert after every attempt."""


class _Retryable(Exception):
    pass


def post_alert(
    url: str,
    payload: Mapping[str, Any],
    attempts: int = 3,
    initial_wait: float = 0.5,
    timeout: float = 10.0,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """POST ``payload`` as JSON; retry connection errors, 429 and 5xx; raise `WebhookError` at the end.

    A 4xx other than 429 is not retried: the URL or the payload is wrong and
    trying again would not help.
    """
    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_attempt(attempts),
        wait=tenacity.wait_exponential(multiplier=initial_wait, max=8),
        retry=tenacity.retry_if_exception_type(_Retryable),
        sleep=sleep,
        reraise=True,
    )
    where = f"{httpx.URL(url).scheme}://{httpx.URL(url).host}"  # never log the secret path of the hook
    try:
        for attempt in retrying:
            with attempt:
                try:
                    response = httpx.post(url, json=dict(payload), timeout=timeout)
                except httpx.HTTPError as error:
                    raise _Retryable(f"{type(error).__name__}: {error}") from error
                if response.status_code == 429 or response.status_code >= 500:
                    raise _Retryable(f"HTTP {response.status_code}")
                if response.status_code >= 400:
                    raise WebhookError(
                        f"alert webhook at {where} refused the alert: HTTP {response.status_code} "
                        f"{response.text[:200]!r}. Check HEALTH_ALERT_WEBHOOK_URL."
                    )
    except _Retryable as error:
        raise WebhookError(
            f"alert webhook at {where} kept failing after {attempts} attempts (last: {error}); "
            "the alert stays pending and is retried by the alert sensor."
        ) from error


def slack_message(alert: Mapping[str, Any]) -> dict[str, Any]:
    """Slack-compatible JSON: a text fallback and a section with the account's facts."""
    owner = alert.get("account_owner") or "no owner"
    title = f"{alert['account_name']} ({owner}): {alert['what_changed']}"
    facts = [
        f"*Account:* {alert['account_name']} (`{alert['account_id']}`)",
        f"*Owner:* {owner}",
        f"*Grade:* {alert.get('grade') or '-'} (health {_score(alert.get('health_score'))})",
        f"*What changed:* {alert['what_changed']} on {alert['as_of_date']}",
        f"*Why:* {alert.get('reason') or '-'}",
    ]
    return {
        "text": title,
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(facts)}},
        ],
    }


def _score(value: Any) -> str:
    try:
        return f"{float(value):.0f}"
    except (TypeError, ValueError):
        return "-"
