"""The benchmark profiles: how many accounts, contacts and events the demo generator makes."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

# Every profile ends on the same day, so runs are comparable from one machine or commit to the next.
END_DATE = "2026-06-30"


@dataclass(frozen=True)
class Profile:
    """One generated book: ``accounts`` accounts over ``days`` days ending on END_DATE, its world simulated
    ``days_ahead`` days further so that the next day continues it."""

    name: str
    accounts: int
    days: int
    events_per_account_day: float
    contacts_per_account: float = 10.0
    end_date: str = END_DATE
    days_ahead: int = 1
    # Free disk the two runs need (warehouse, BI copy, DuckDB's spill), measured on the 365-day history.
    disk_gb: float = 1.0

    def next_day(self) -> Profile:
        """The same book seen one day later, for the daily incremental run: the demo source continues the
        world the first build landed, and delivers that one new day."""
        end = date.fromisoformat(self.end_date) + timedelta(days=1)
        return replace(self, end_date=end.isoformat())

    def with_history(self, days: int) -> Profile:
        """The same book with ``days`` days of history up to the same end date."""
        return replace(self, days=days)

    def env(self) -> dict[str, str]:
        """The demo source's settings as the environment variables the raw assets read."""
        return {
            "HEALTH_SOURCE": "demo",
            "HEALTH_DEMO_ACCOUNTS": str(self.accounts),
            "HEALTH_DEMO_DAYS": str(self.days),
            "HEALTH_DEMO_SEED": "42",
            "HEALTH_DEMO_END_DATE": self.end_date,
            "HEALTH_DEMO_EVENTS_PER_ACCOUNT_DAY": str(self.events_per_account_day),
            "HEALTH_DEMO_CONTACTS_PER_ACCOUNT": str(self.contacts_per_account),
            "HEALTH_DEMO_DAYS_AHEAD": str(self.days_ahead),
        }


# Events per account-day are set so that the volumes come out: about 10M events for medium and
# 100M for large over 365 days (accounts are not all active every day, so the generated count is shown).
PROFILES = {
    "small": Profile("small", accounts=1_000, days=365, events_per_account_day=3.0),
    "medium": Profile("medium", accounts=10_000, days=365, events_per_account_day=3.0, disk_gb=8.0),
    # 2026-12-06: a 24 GB warehouse and a 6.7 GB BI copy, and spill on top.
    "large": Profile("large", accounts=100_000, days=365, events_per_account_day=3.0, disk_gb=40.0),
}
