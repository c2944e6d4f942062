"""Parameters of the demo generator, its fixed catalogues (plans, names, events) and its random streams.

Everything random in the generator draws from a stream named after what it
generates (``substream(seed, "intercom_tickets")``), so one table comes out the
same whether it is generated alone or with all the others.
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class DemoParams:
    """The size and shape of one simulated history (``end_date`` already resolved).

    The world runs ``days_ahead`` days past ``end_date``, and is seen as it stands at the end of
    ``end_date``: the same world seen a day later gains that day, and nothing before it changes but what
    that day changed (a payment, a cancellation taking effect). Every random draw depends on the world
    (``start_date``, ``world_days``), never on the day it is seen from.
    """

    accounts: int
    days: int
    seed: int
    end_date: dt.date
    events_per_account_day: float
    contacts_per_account: float
    days_ahead: int = 0

    def __post_init__(self) -> None:
        if self.accounts < 1 or self.days < 7:
            raise ValueError("the demo source needs at least 1 account and 7 days")
        if self.days_ahead < 0:
            raise ValueError("days_ahead must be >= 0")
        if self.events_per_account_day < 0 or self.contacts_per_account < 1:
            raise ValueError("events_per_account_day must be >= 0 and contacts_per_account >= 1")

    @property
    def start_date(self) -> dt.date:
        """First day of the window."""
        return self.end_date - dt.timedelta(days=self.days - 1)

    @property
    def world_days(self) -> int:
        """Days the world is simulated over: the history seen, and the days ahead of it."""
        return self.days + self.days_ahead


def substream(seed: int, *keys: str | int) -> np.random.Generator:
    """An independent generator for ``keys`` (crc32 of names: stable across runs, unlike ``hash``)."""
    words = [seed] + [zlib.crc32(k.encode()) if isinstance(k, str) else k for k in keys]
    return np.random.default_rng(np.random.SeedSequence(words))


# --- plans and prices -------------------------------------------------------------------------

PLANS = ("starter", "growth", "enterprise")
PLAN_MIX = (0.50, 0.37, 0.13)
# Monthly price per seat in cents. Adjacent tiers are less than 2x apart, so a downgrade's
# proration credit never exceeds the next regular line (invoices never go negative).
SEAT_PRICE = {"usd": (2000, 3500, 6000), "eur": (1900, 3200, 5500)}
CURRENCIES = ("usd", "eur")
EUR_SHARE = 0.08
# Median and bounds of licensed seats per plan.
SEATS_MEDIAN = (3.0, 12.0, 45.0)
SEATS_BOUNDS = ((1, 15), (5, 80), (20, 400))
# Billing interval in months (12 = yearly price), mix per plan: monthly, quarterly, yearly.
INTERVAL_MONTHS = (1, 3, 12)
INTERVAL_MIX = ((0.80, 0.05, 0.15), (0.60, 0.10, 0.30), (0.30, 0.15, 0.55))
# Discount of the longer intervals against paying monthly.
INTERVAL_PRICE_FACTOR = {1: 1.0, 3: 2.85, 12: 10.0}

# --- firmographics ----------------------------------------------------------------------------

# fmt: off

INDUSTRIES = (
    "Software", "Retail", "Financial Services", "Healthcare", "Manufacturing", "Education",
    "Media", "Logistics", "Real Estate", "Professional Services", "Non-profit", "Travel",
)
CSM_NAMES = (
    "Alex Morgan", "Priya Natarajan", "Jonas Weber", "Maria Santos", "Kenji Watanabe",
    "Fatima Haddad", "Liam O'Brien", "Chloe Dubois", "Samuel Okafor", "Ingrid Larsen",
)
# Share of companies that nobody owns yet.
UNOWNED_SHARE = 0.03
SUPPORT_AGENTS = ("7100001", "7100002", "7100003", "7100004", "7100005", "7100006")
NAME_ADJECTIVES = (
    "Blue", "Bright", "Silver", "Northern", "Rapid", "Quiet", "Golden", "Green", "Iron", "Clear",
    "Summit", "Coastal", "Urban", "Prime", "Swift", "Bold", "Lunar", "Solar", "Crimson", "Open",
)
NAME_NOUNS = (
    "Harbor", "Peak", "River", "Forge", "Pixel", "Cedar", "Falcon", "Atlas", "Orbit", "Maple",
    "Beacon", "Anchor", "Vertex", "Meadow", "Canyon", "Signal", "Bridge", "Lantern", "Quartz", "Willow",
)
NAME_SUFFIXES = (
    "Labs", "Inc", "Group", "Systems", "Co", "Analytics", "Partners", "Studio", "Health", "Logistics",
)
FIRST_NAMES = (
    "Ana", "Ben", "Carla", "David", "Elena", "Farid", "Grace", "Hugo", "Isla", "Jamal", "Kira", "Luca",
    "Mei", "Nora", "Omar", "Paula", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera", "Wen", "Yusuf",
)
LAST_NAMES = (
    "Smith", "Garcia", "Chen", "Müller", "Rossi", "Kowalski", "Nguyen", "Silva", "Khan", "Novak",
    "Jensen", "Ito", "Haddad", "Brown", "Martin", "Ivanova", "Costa", "Dubois", "Park", "Olsen",
)

# fmt: on

# --- product events ---------------------------------------------------------------------------

# Ordered from basic to advanced: an account reaches further down the list as its
# health and maturity grow (feature breadth). The weight is the popularity among
# the features an account uses.
EVENT_CATALOGUE: tuple[tuple[str, float], ...] = (
    ("logged-in", 30.0),
    ("viewed-dashboard", 22.0),
    ("viewed-report", 14.0),
    ("searched-records", 10.0),
    ("created-record", 9.0),
    ("updated-record", 8.0),
    ("commented-on-record", 6.0),
    ("created-report", 5.0),
    ("shared-report", 4.0),
    ("exported-csv", 3.5),
    ("uploaded-file", 3.0),
    ("created-dashboard", 2.5),
    ("created-filter", 2.0),
    ("used-api", 2.0),
    ("scheduled-report", 1.5),
    ("synced-integration", 1.5),
    ("invited-teammate", 1.2),
    ("created-alert", 1.2),
    ("created-automation", 1.0),
    ("imported-data", 0.6),
    ("created-integration", 0.5),
    ("configured-permissions", 0.3),
    ("created-workspace", 0.3),
    ("enabled-sso", 0.1),
)
# A few events carry small metadata; the rest have none (keeps the biggest table cheap).
EVENT_METADATA: dict[str, tuple[str, ...]] = {
    "exported-csv": ('{"rows": 18}', '{"rows": 240}', '{"rows": 5200}'),
    "created-report": ('{"report_type": "table"}', '{"report_type": "chart"}', '{"report_type": "funnel"}'),
    "uploaded-file": ('{"file_type": "pdf"}', '{"file_type": "xlsx"}'),
    "invited-teammate": ('{"role": "member"}', '{"role": "admin"}'),
    "created-integration": ('{"app": "salesforce"}', '{"app": "hubspot"}', '{"app": "slack"}'),
    "synced-integration": ('{"app": "salesforce"}', '{"app": "hubspot"}', '{"app": "slack"}'),
}
# Relative activity by weekday, Monday first.
WEEKDAY_ACTIVITY = (1.0, 1.05, 1.05, 1.0, 0.9, 0.3, 0.25)

# --- support ----------------------------------------------------------------------------------

PRIORITIES = ("low", "normal", "high", "urgent")
TICKET_TITLES = (
    "Cannot export report",
    "Dashboard loads slowly",
    "Question about billing",
    "SSO login fails",
    "Integration stopped syncing",
    "Data missing after import",
    "Need help with permissions",
    "API returns errors",
    "Feature request: custom fields",
    "Invite e-mail not received",
)
NPS_COMMENTS = {
    "detractor": ("Too expensive for what we use", "Too many bugs lately", "Support is slow to answer"),
    "passive": ("Does the job", "Reporting could be better", "Fine, a bit complex"),
    "promoter": ("Great product", "Our team relies on it every day", "Support is excellent"),
}
