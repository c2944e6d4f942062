"""``DemoSource``: the deterministic demo generator behind the ``Source`` protocol."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from functools import cached_property

import pyarrow as pa

from dagster_project.sources.demo import events, intercom
from dagster_project.sources.demo.accounts import Accounts, simulate_accounts
from dagster_project.sources.demo.billing import Billing
from dagster_project.sources.demo.params import DemoParams
from dagster_project.sources.extract import Batch, TableExtract
from dagster_project.sources.raw_tables import requested_tables


class _Simulation:
    """The shared simulations of one parameter set, each built on first use."""

    def __init__(self, p: DemoParams) -> None:
        self.p = p

    @cached_property
    def accounts(self) -> Accounts:
        """Accounts, latent health and lifecycles: shared by every table."""
        return simulate_accounts(self.p)

    @cached_property
    def billing(self) -> Billing:
        """Billing history: shared by the five Stripe tables."""
        return Billing(self.accounts, self.p)

    @cached_property
    def intercom(self) -> intercom.IntercomSim:
        """Contacts and tickets: shared by the Intercom tables."""
        return intercom.IntercomSim(self.accounts, self.p)

    def tables(self, name: str) -> Iterator[pa.Table]:
        """The batches of raw table ``name``: events block by block, the rest in one batch."""
        acc, p = self.accounts, self.p
        match name:
            case events.TABLE:
                yield from events.event_batches(acc, self.intercom.contacts, p)
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
                yield intercom.companies(acc, p)
            case "intercom_contacts":
                yield self.intercom.contacts.table()
            case "intercom_conversations":
                yield intercom.conversations(acc, self.intercom.contacts, p)
            case "intercom_tickets":
                yield intercom.tickets_table(acc, self.intercom.contacts, self.intercom.tickets, p)
            case "intercom_survey_responses":
                yield intercom.survey_responses(acc, self.intercom.contacts, self.intercom.tickets, p)
            case _:
                raise ValueError(f"demo source: unknown raw table {name!r}")


class DemoSource:
    """Seeded, vectorised generator of every canonical raw table: same parameters, same bytes.

    ``accounts`` billed accounts (plus ~1% Intercom-only orphans) over the
    ``days`` days ending at ``end_date`` (default: yesterday UTC, resolved at
    each extract). Every extract is a full snapshot (``mode="replace"``);
    cursors are ignored.
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
    ) -> None:
        self.accounts = accounts
        self.days = days
        self.seed = seed
        self.end_date = end_date
        self.events_per_account_day = events_per_account_day
        self.contacts_per_account = contacts_per_account
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
        )

    def extract(self, tables: list[str], cursors: dict[str, str]) -> Iterator[TableExtract]:
        """One full-snapshot extract per requested table, in the order requested; ``cursors`` is ignored."""
        tables = requested_tables(tables)
        p = self.params()
        if self._simulation is None or self._simulation.p != p:
            self._simulation = _Simulation(p)
        sim = self._simulation
        for table in tables:
            yield TableExtract(
                table=table,
                batches=(Batch(rows=rows) for rows in sim.tables(table)),
                mode="replace",
                origin=f"demo generator seed={self.seed}",
                ids_unique=True,
            )
