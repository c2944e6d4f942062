"""JSON over HTTP with bounded retries (httpx + tenacity), failing with a SourceError that says what to do.

Retried: HTTP 429, 5xx, timeouts and connection errors, with exponential
backoff and jitter, or exactly the wait the server asks for (``Retry-After``
in seconds or as an HTTP date; on a 429 without it, Intercom's
``X-RateLimit-Reset`` unix time). Stripe's ``Stripe-Should-Retry`` header
overrides the status: ``false`` is never retried, ``true`` always is. Attempts
and the total wait are bounded by a RetryPolicy. 401 and 403 fail at once,
naming the variable holding the credential.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import tenacity
from tenacity.wait import wait_base

from dagster_project.sources.extract import SourceError


@dataclass(frozen=True)
class RetryPolicy:
    """How long to keep trying one request before the run fails."""

    max_attempts: int = 6
    # Seconds of waiting between attempts, in total; a longer server-requested wait gives up at once.
    max_total_wait: float = 120.0
    initial_wait: float = 0.5
    max_wait: float = 30.0
    jitter: float = 0.5
    timeout: float = 30.0
    # Injected so tests can record the waits instead of sleeping them.
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    clock: Callable[[], float] = field(default=time.time, repr=False)


@dataclass(frozen=True)
class Service:
    """Who we are talking to, for headers and for messages that say what to fix."""

    name: str  # "Stripe" or "Intercom"
    base_url: str
    # Holds the credential: kept out of repr so it never reaches logs or tracebacks.
    headers: Mapping[str, str] = field(repr=False, hash=False, compare=False)
    credential_env: str  # e.g. STRIPE_API_KEY
    base_url_env: str  # e.g. STRIPE_API_BASE


class _Retryable(Exception):
    """A failed attempt worth another try; ``server_wait`` is what the server asked for, if anything."""

    def __init__(self, what: str, server_wait: float | None = None) -> None:
        super().__init__(what)
        self.server_wait = server_wait


class _wait_server_or_backoff(wait_base):
    """The server's requested wait when it gave one, else exponential backoff with jitter."""

    def __init__(self, backoff: wait_base) -> None:
        self.backoff = backoff

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        error = retry_state.outcome.exception() if retry_state.outcome else None
        server_wait = getattr(error, "server_wait", None)
        return server_wait if server_wait is not None else self.backoff(retry_state)


def _server_wait(response: httpx.Response, clock: Callable[[], float]) -> float | None:
    retry_after = response.headers.get("Retry-After")
    if retry_after:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(retry_after)
            except (TypeError, ValueError):
                return None
            return max(0.0, when.timestamp() - clock())
    reset = response.headers.get("X-RateLimit-Reset")
    if response.status_code == 429 and reset:
        try:
            return max(0.0, float(reset) - clock())
        except ValueError:
            return None
    return None


def endpoint(method: str, url: str) -> str:
    """``GET /v1/customers``: the method and URL path, without host or query, for messages."""
    return f"{method} {httpx.URL(url).path}"


class ApiClient:
    """One service's HTTP client; use as a context manager so connections are closed."""

    def __init__(self, service: Service, policy: RetryPolicy) -> None:
        self.service = service
        self.policy = policy
        self._base = httpx.URL(service.base_url.rstrip("/") + "/")
        self._http = httpx.Client(headers=dict(service.headers), timeout=policy.timeout)

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._http.close()

    def url(self, path: str) -> httpx.URL:
        """An absolute URL: a path is joined to the base URL; a full URL must be on the base URL's host."""
        url = (
            self._base.join(path.lstrip("/"))
            if not path.startswith(("http://", "https://"))
            else httpx.URL(path)
        )
        if (url.scheme, url.host, url.port) != (self._base.scheme, self._base.host, self._base.port):
            # Never send the credential to another host, whatever a response links to.
            raise SourceError(
                f"{self.service.name} linked to {url.scheme}://{url.host} for the next page, which is not "
                f"{self.service.base_url}; check {self.service.base_url_env}"
            )
        return url

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return self.request("POST", path, body=body)

    def request(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The JSON object answered, after retries; SourceError when it cannot be had."""
        url = self.url(path)
        p = self.policy
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(p.max_attempts) | tenacity.stop_before_delay(p.max_total_wait),
            wait=_wait_server_or_backoff(
                tenacity.wait_exponential_jitter(multiplier=p.initial_wait, max=p.max_wait, jitter=p.jitter)
            ),
            retry=tenacity.retry_if_exception_type(_Retryable),
            sleep=p.sleep,
        )
        try:
            return retrying(self._attempt, method, url, params, body)
        except tenacity.RetryError as error:
            last = error.last_attempt.exception()
            waited = retrying.statistics.get("idle_for", 0.0)
            asked = getattr(last, "server_wait", None)
            too_long = (
                f"; the server asked to wait {asked:.0f}s, beyond the {p.max_total_wait:.0f}s allowed"
                if asked is not None and asked + waited >= p.max_total_wait
                else ""
            )
            raise SourceError(
                f"{self.service.name} {endpoint(method, str(url))} kept failing after "
                f"{error.last_attempt.attempt_number} attempts and {waited:.1f}s of waiting "
                f"(last: {last}){too_long}. Check {self.service.base_url_env} ({self.service.base_url}) and "
                f"{self.service.credential_env}, look at {self.service.name}'s status page, "
                "and run again later."
            ) from last

    def _attempt(
        self, method: str, url: httpx.URL, params: Mapping[str, Any] | None, body: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        where = endpoint(method, str(url))
        try:
            response = self._http.request(method, url, params=params, json=body)
        except httpx.TimeoutException as error:
            raise _Retryable(f"timed out after {self.policy.timeout}s") from error
        except httpx.TransportError as error:
            raise _Retryable(f"connection failed: {error}") from error
        status = response.status_code
        if status in (401, 403):
            raise SourceError(
                f"{self.service.name} {where} answered {status} {response.reason_phrase}: the credential was "
                f"refused; set {self.service.credential_env} to a valid key with read access"
            )
        if status >= 400:
            should_retry = response.headers.get("Stripe-Should-Retry", "").lower()
            if should_retry != "false" and (status == 429 or status >= 500 or should_retry == "true"):
                raise _Retryable(
                    f"HTTP {status} {response.reason_phrase}", _server_wait(response, self.policy.clock)
                )
            raise SourceError(
                f"{self.service.name} {where} answered {status} {response.reason_phrase}"
                f"{' and asked not to retry' if should_retry == 'false' else ''}: {response.text[:300]!r}. "
                f"Check {self.service.base_url_env} ({self.service.base_url}) points at a "
                f"{self.service.name}-compatible API; if it does, run again later."
            )
        try:
            data = response.json()
        except ValueError as error:
            raise SourceError(
                f"{self.service.name} {where} answered with something that is not JSON "
                f"({response.headers.get('content-type', 'no content type')}); "
                f"check {self.service.base_url_env}"
            ) from error
        if not isinstance(data, dict):
            raise SourceError(f"{self.service.name} {where} answered JSON that is not an object")
        return data
