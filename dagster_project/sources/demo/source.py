"""``DemoSource``: the deterministic demo generator behind the ``Source`` protocol."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterator
from functools import cached_property

import duckdb
import pyarrow as pa

from dagster_project.sources.demo import events, intercom
from dagster_project.sources.demo.accounts import Accounts, simulate_accounts
from dagster_project.sources.demo.billing import Billing
from dagster_project.sources.demo.changes import changed_rows
from dagster_project.sources.demo.params import DemoParams
from dagster_project.sources.demo.timeline import Timeline
from dagster_project.sources.extract import Batch, TableExtract
from dagster_project.sources.raw_tables import RAW_TABLES, requested_tables


class _Simulation:
    """The shared simulations of one parameter set, each built on first use."""

    def __init__(self, p: DemoParams) -> None:
        self.p = p

    @cached_property
    def accounts(self) -> Accounts:
        """Accounts, latent health and lifecycles: shared by every table."""
        return simulate_accounts(self.p)

    def seen_earlier(self, p: DemoParams) -> _Simulation:
        """The same world seen at the end of an earlier day (``p``), sharing its accounts: every draw
        depends on the world, not on the day it is seen from, so only the timeline differs."""
        if p == self.p:
            return self
        earlier = _Simulation(p)
        earlier.accounts = dataclasses.replace(
            self.accounts, timeline=Timeline(p.start_date, p.world_days, p.days)
        )
        return earlier

    def changes(self, name: str, before: _Simulation, con: duckdb.DuckDBPyConnection) -> Iterator[pa.Table]:
        """The rows of raw table ``name`` that are new or changed since the world as ``before`` saw it."""
        table = RAW_TABLES[name]
        if before is self:  # the same day again: nothing to generate, nothing changed
            yield table.empty()
            return
        now, then = self.tables(name), before.tables(name)
        yield changed_rows(con, next(then), next(now), table.parent_key or table.primary_key)

    @cached_property
    def billing(self) -> Billing:
        """Billing history: shared by the five Stripe tables."""
        return Billing(self.accounts, self.p)

    @cached_property
    def intercom(self) -> intercom.IntercomSim:
        """Contacts and tickets: shared by the Intercom tables."""
        return intercom.IntercomSim(self.accounts, self.p)

    def tables(self, name: str, events_from_day: int | None = None) -> Iterator[pa.Table]:
        """The batches of raw table ``name``: events block by block (those from the window day
        ``events_from_day`` on, when given), the rest in one batch."""
        p = self.p
        match name:
            case events.TABLE:
                if events_from_day is None or events_from_day < p.days:  # else no day is new
                    yield from events.event_batches(self.accounts, self.intercom.contacts, p, events_from_day)
            case "stripe_customers":
                yield self.billing.customers()
            case "stripe_subscriptions":
                yield self.billing.subscriptions()
            case "stripe_subscription_items":
                yield self.billing.subscription_items()
            case "stripe_invoices":
                yield self.billing.invoices()
            case "stripe_invoice_line_items":
                yield self.billing.invoice_line_items()
            case "intercom_companies":
                yield intercom.companies(self.accounts, p)
            case "intercom_contacts":
                yield self.intercom.contacts.table()
            case "intercom_conversations":
                yield intercom.conversations(self.accounts, self.intercom.contacts, p)
            case "intercom_tickets":
                yield intercom.tickets_table(self.accounts, self.intercom.contacts, self.intercom.tickets, p)
            case "intercom_survey_responses":
                yield intercom.survey_responses(
                    self.accounts, self.intercom.contacts, self.intercom.tickets, p
                )
            case _:
                raise ValueError(f"demo source: unknown raw table {name!r}")


# Marks a cursor written by this source: an api or files cursor is never taken for one.
_FORMAT = "demo/1"


@dataclasses.dataclass(frozen=True)
class _View:
    """A world and the last day it was landed through: what the demo source keeps as its cursor.

    ``settings`` are the source's own (accounts, days, seed, rates, days ahead): a run with other
    settings starts a new world.
    """

    settings: dict[str, float]
    start: dt.date
    world_end: dt.date
    through: dt.date

    def cursor(self) -> str:
        return json.dumps(
            {
                "format": _FORMAT,
                "settings": self.settings,
                "start": self.start.isoformat(),
                "world_end": self.world_end.isoformat(),
                "through": self.through.isoformat(),
            },
            sort_keys=True,
        )

    @classmethod
    def parse(cls, cursor: str | None) -> _View | None:
        try:
            stored = json.loads(cursor or "")
            if stored.get("format") != _FORMAT:
                return None
            return cls(
                settings=stored["settings"],
                start=dt.date.fromisoformat(stored["start"]),
                world_end=dt.date.fromisoformat(stored["world_end"]),
                through=dt.date.fromisoformat(stored["through"]),
            )
        except (AttributeError, KeyError, TypeError, ValueError):
            return None

    def seen_through(self, end: dt.date, p: DemoParams) -> DemoParams:
        """The parameters of this world seen at the end of ``end``."""
        return dataclasses.replace(
            p, days=(end - self.start).days + 1, end_date=end, days_ahead=(self.world_end - end).days
        )


class DemoSource:
    """Seeded, vectorised generator of every canonical raw table: same parameters, same bytes.

    ``accounts`` billed accounts (plus ~1% Intercom-only orphans) over the
    ``days`` days ending at ``end_date`` (default: yesterday UTC, resolved at
    each extract). The world is simulated ``days_ahead`` days further, and
    seen as it stands at the end of ``end_date``.

    The first extract is a full snapshot (``replace``); its cursor keeps the
    world. A later extract with the same settings whose ``end_date`` the world
    still covers continues it, as a real source would deliver the days since
    (``upsert``, merged by id): the events of the days after the last load, and
    of the other tables the rows those days created or changed (a payment, a
    cancellation, a contact seen again), found by comparing the world as the
    last load saw it with the world now. The view never goes back: an earlier
    ``end_date`` delivers nothing. A world that ends before ``end_date``, or
    other settings, start a new world, landed whole.
    """

    name = "demo"

    def __init__(
        self,
        accounts: int = 1000,
        days: int = 540,
        seed: int = 42,
        end_date: dt.date | None = None,
        events_per_account_day: float = 3.0,
        contacts_per_account: float = 10.0,
        days_ahead: int = 0,
    ) -> None:
        self.accounts = accounts
        self.days = days
        self.seed = seed
        self.end_date = end_date
        self.events_per_account_day = events_per_account_day
        self.contacts_per_account = contacts_per_account
        self.days_ahead = days_ahead
        self.params()  # fail early on bad parameters
        self._simulation: _Simulation | None = None

    def params(self) -> DemoParams:
        """The parameters with ``end_date`` resolved (yesterday UTC when not given)."""
        end = self.end_date or dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
        return DemoParams(
            accounts=self.accounts,
            days=self.days,
            seed=self.seed,
            end_date=end,
            events_per_account_day=self.events_per_account_day,
            contacts_per_account=self.contacts_per_account,
            days_ahead=self.days_ahead,
        )

    def _settings(self) -> dict[str, float]:
        return {
            "accounts": self.accounts,
            "days": self.days,
            "seed": self.seed,
            "events_per_account_day": self.events_per_account_day,
            "contacts_per_account": self.contacts_per_account,
            "days_ahead": self.days_ahead,
        }

    def _continued(self, tables: list[str], cursors: dict[str, str], end: dt.date) -> _View | None:
        """The world every table in ``tables`` was last landed from, when this extract continues it."""
        views = [_View.parse(cursors.get(table)) for table in tables]
        view = views[0] if all(v == views[0] for v in views) else None
        if view is None or view.settings != self._settings() or not view.start <= end <= view.world_end:
            return None
        return view

    def extract(self, tables: list[str], cursors: dict[str, str]) -> Iterator[TableExtract]:
        """One extract per requested table, in the order requested: a full snapshot of a new world, or
        what happened since the last load of the world the tables' ``cursors`` name."""
        tables = requested_tables(tables)
        p = self.params()
        before = self._continued(tables, cursors, p.end_date)
        if before is None:
            view = _View(
                self._settings(), p.start_date, p.end_date + dt.timedelta(days=p.days_ahead), p.end_date
            )
            events_from_day = None
        else:
            view = dataclasses.replace(before, through=max(before.through, p.end_date))
            p = view.seen_through(view.through, p)
            events_from_day = (before.through - view.start).days + 1
        if self._simulation is None or self._simulation.p != p:
            self._simulation = _Simulation(p)
        sim = self._simulation
        # The world as the last load saw it: every table but the events delivers what changed since.
        last_seen = None if before is None else sim.seen_earlier(before.seen_through(before.through, p))
        with duckdb.connect() as con:
            for table in tables:
                if last_seen is None or table == events.TABLE:
                    delivered, what = sim.tables(table, events_from_day), "events"
                else:
                    delivered, what = sim.changes(table, last_seen, con), "changes"
                since = "" if before is None else f"{what} after {before.through}, "
                yield TableExtract(
                    table=table,
                    batches=(Batch(rows=rows) for rows in delivered),
                    mode="replace" if before is None else "upsert",
                    origin=f"demo generator seed={self.seed}, {since}as of {view.through}",
                    ids_unique=True,
                    cursor=view.cursor(),
                )
