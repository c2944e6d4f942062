"""Which connector fills the raw layer, and how it is configured: env vars read at run time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TypeVar

import dagster as dg

from dagster_project.defs.ingestion.landing import DEFAULT_MAX_SHRINK
from dagster_project.settings import absolute, env_or
from dagster_project.sources.api import ApiSource
from dagster_project.sources.api.versions import INTERCOM_API_VERSION, STRIPE_API_VERSION
from dagster_project.sources.demo import DemoSource
from dagster_project.sources.extract import Source
from dagster_project.sources.files import FilesSource

SOURCES = ("demo", "files", "api")
# Incremental api pulls re-read this many days before their cursor, so late data still lands once.
DEFAULT_LOOKBACK_DAYS = 3.0
T = TypeVar("T")


class RawSource(dg.ConfigurableResource):
    """The connector behind the raw assets: ``demo``, ``files`` or ``api``.

    Every field left unset is read from its environment variable when the run
    starts (see the README's Configuration table), so one code location serves
    every environment.
    """

    kind: str | None = None  # HEALTH_SOURCE
    files_dir: str | None = None  # HEALTH_FILES_DIR
    demo_accounts: int | None = None  # HEALTH_DEMO_ACCOUNTS
    demo_days: int | None = None  # HEALTH_DEMO_DAYS
    demo_seed: int | None = None  # HEALTH_DEMO_SEED
    demo_end_date: str | None = None  # HEALTH_DEMO_END_DATE, ISO date
    demo_events_per_account_day: float | None = None  # HEALTH_DEMO_EVENTS_PER_ACCOUNT_DAY
    demo_contacts_per_account: float | None = None  # HEALTH_DEMO_CONTACTS_PER_ACCOUNT
    demo_days_ahead: int | None = None  # HEALTH_DEMO_DAYS_AHEAD
    stripe_api_base: str | None = None  # STRIPE_API_BASE
    stripe_api_key: str | None = None  # STRIPE_API_KEY
    intercom_api_base: str | None = None  # INTERCOM_API_BASE
    intercom_api_token: str | None = None  # INTERCOM_API_TOKEN
    stripe_api_version: str | None = None  # STRIPE_API_VERSION
    intercom_api_version: str | None = None  # INTERCOM_API_VERSION
    api_lookback_days: float | None = None  # HEALTH_API_LOOKBACK_DAYS
    snapshot_max_shrink: float | None = None  # HEALTH_SNAPSHOT_MAX_SHRINK

    def source_kind(self) -> str:
        kind = (self.kind or env_or("HEALTH_SOURCE", "demo")).lower()
        if kind not in SOURCES:
            raise ValueError(f"HEALTH_SOURCE={kind!r} is not a source; use one of {', '.join(SOURCES)}")
        return kind

    def max_shrink(self) -> float:
        """The share of a table's rows a full snapshot may lose before it is refused (0 to 1)."""
        share = (
            self.snapshot_max_shrink
            if self.snapshot_max_shrink is not None
            else _number_env("HEALTH_SNAPSHOT_MAX_SHRINK", DEFAULT_MAX_SHRINK)
        )
        if not 0 <= share <= 1:
            raise ValueError(f"HEALTH_SNAPSHOT_MAX_SHRINK={share} must be a share from 0 to 1")
        return share

    def build(self) -> Source:
        """The configured connector, ready to extract."""
        kind = self.source_kind()
        if kind == "demo":
            return self._demo()
        if kind == "files":
            return self._files()
        return self._api()

    def _demo(self) -> Source:
        end = self.demo_end_date or env_or("HEALTH_DEMO_END_DATE")
        return DemoSource(
            accounts=self.demo_accounts or _int_env("HEALTH_DEMO_ACCOUNTS", 1000),
            days=self.demo_days or _int_env("HEALTH_DEMO_DAYS", 540),
            seed=self.demo_seed if self.demo_seed is not None else _int_env("HEALTH_DEMO_SEED", 42),
            end_date=_date(end, "HEALTH_DEMO_END_DATE") if end else None,
            events_per_account_day=self.demo_events_per_account_day
            or _number_env("HEALTH_DEMO_EVENTS_PER_ACCOUNT_DAY", 3.0),
            contacts_per_account=self.demo_contacts_per_account
            or _number_env("HEALTH_DEMO_CONTACTS_PER_ACCOUNT", 10.0),
            days_ahead=self.demo_days_ahead
            if self.demo_days_ahead is not None
            else _int_env("HEALTH_DEMO_DAYS_AHEAD", 0),
        )

    def _files(self) -> Source:
        directory = self.files_dir or env_or("HEALTH_FILES_DIR")
        if not directory:
            raise ValueError("HEALTH_SOURCE=files needs HEALTH_FILES_DIR: the folder of exports to load")
        return FilesSource(Path(absolute(directory)))

    def _api(self) -> Source:
        values = {
            "STRIPE_API_BASE": self.stripe_api_base or env_or("STRIPE_API_BASE", "https://api.stripe.com"),
            "STRIPE_API_KEY": self.stripe_api_key or env_or("STRIPE_API_KEY"),
            "INTERCOM_API_BASE": self.intercom_api_base
            or env_or("INTERCOM_API_BASE", "https://api.intercom.io"),
            "INTERCOM_API_TOKEN": self.intercom_api_token or env_or("INTERCOM_API_TOKEN"),
        }
        missing = [name for name, value in values.items() if not value]
        if missing:
            raise ValueError(f"HEALTH_SOURCE=api needs {', '.join(missing)} to be set")
        lookback = (
            self.api_lookback_days
            if self.api_lookback_days is not None
            else _number_env("HEALTH_API_LOOKBACK_DAYS", DEFAULT_LOOKBACK_DAYS)
        )
        if lookback < 0:
            raise ValueError(f"HEALTH_API_LOOKBACK_DAYS={lookback} must not be negative")
        return ApiSource(
            stripe_base=values["STRIPE_API_BASE"],
            stripe_key=values["STRIPE_API_KEY"],
            intercom_base=values["INTERCOM_API_BASE"],
            intercom_token=values["INTERCOM_API_TOKEN"],
            stripe_version=self.stripe_api_version or env_or("STRIPE_API_VERSION", STRIPE_API_VERSION),
            intercom_version=self.intercom_api_version
            or env_or("INTERCOM_API_VERSION", INTERCOM_API_VERSION),
            lookback_days=lookback,
        )


def _int_env(name: str, default: int) -> int:
    return _parsed_env(name, default, int, "a whole number")


def _number_env(name: str, default: float) -> float:
    return _parsed_env(name, default, float, "a number")


def _parsed_env(name: str, default: T, parse: Callable[[str], T], what: str) -> T:
    value = env_or(name)
    if value is None:
        return default
    try:
        return parse(value)
    except ValueError:
        raise ValueError(f"{name}={value!r} is not {what}") from None


def _date(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name}={value!r} is not a date; use YYYY-MM-DD") from None
