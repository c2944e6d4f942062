"""The ``api`` source: a Stripe-compatible billing API and an Intercom-compatible API.

How each table is pulled, and why (docs/api_source.md has the full story):

- Stripe customers, subscriptions, invoices: with no cursor, the whole list
  (``replace``). With a cursor, objects ``created[gte]`` the cursor plus the
  latest snapshot of every object named by an event (``/v1/events``) since the
  cursor, so a status change on an old subscription or invoice is caught
  (``upsert``). Stripe keeps events 30 days, so an older cursor means a whole
  list again. The cursor is the newest ``created`` seen, of objects or events.
  Every request asks for one pinned API version (``Stripe-Version``), and the
  price catalogue (``GET /v1/prices``) is read first: lines of API versions
  from 2025-03-31 name their price by id, and tiers are never embedded.
- Intercom companies and contacts: always the whole list (``replace``, no
  cursor). Intercom cannot search companies by time, and data events can only
  be listed per contact, so every contact is needed anyway.
- Intercom conversations and tickets: ``POST /<resource>/search`` for
  ``updated_at`` after the start (the cursor is the newest ``updated_at`` seen).
- Intercom data events: each contact's ``GET /events``, keeping events
  created at or after the start (the cursor is the newest ``created_at`` seen).
- Survey responses: ``GET /surveys/responses?created_since=<start>``.

Every incremental pull starts a look-back (``lookback_days``) before its
cursor, so an object or event that arrives late, dated before the last run,
still lands; the landing keeps one copy per id and writes only what changed.
A parent and its child table (subscriptions and items, invoices and lines)
share one pull, from the older of their two cursors; child upserts merge by
the parent's id so a re-pulled parent replaces all of its children.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from dagster_project.sources.extract import Batch, SourceError, TableExtract, WriteMode
from dagster_project.sources.raw_tables import requested_tables
from dagster_project.sources.records import (
    KIND_OF_TABLE,
    BatchBuilder,
    Directory,
    FanOut,
    at_least_one,
    kinds,
)
from dagster_project.sources.records.kinds import RecordKind
from dagster_project.sources.records.stripe import is_preview_invoice

from .http import ApiClient, RetryPolicy, Service
from .intercom import IntercomClient
from .stripe import StripeClient
from .versions import INTERCOM_API_VERSION, STRIPE_API_VERSION

DAY = 86_400
PREVIEW = "preview invoice (invoice.upcoming): not an invoice until Stripe finalises it"


@dataclass(frozen=True)
class _StripeList:
    path: str
    params: Mapping[str, Any]
    event_types: tuple[str, ...]  # events that carry a changed object of this list
    object_name: str  # the ``object`` field of those objects


_STRIPE: dict[str, _StripeList] = {
    kinds.CUSTOMER.name: _StripeList(
        "/v1/customers", {}, ("customer.updated", "customer.deleted"), "customer"
    ),
    kinds.SUBSCRIPTION.name: _StripeList(
        "/v1/subscriptions", {"status": "all"}, ("customer.subscription.*",), "subscription"
    ),
    kinds.INVOICE.name: _StripeList("/v1/invoices", {}, ("invoice.*",), "invoice"),
}
_INTERCOM_SEARCH = {kinds.CONVERSATION.name: "conversations", kinds.TICKET.name: "tickets"}


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _newest(current: int | None, value: Any) -> int | None:
    value = _int(value)
    if value is None:
        return current
    return value if current is None else max(current, value)


@dataclass
class _Pass:
    """One pull that fills one or more tables; ``cursor`` is set when it has read everything."""

    mode: WriteMode
    origin: str
    batches: Iterator[dict[str, Batch]] = field(default_factory=lambda: iter(()))
    cursor: str | None = None


class ApiSource:
    """Pulls the raw tables from a Stripe-compatible and an Intercom-compatible API.

    ``extract(tables, cursors)`` yields one TableExtract per table: mode
    ``replace`` when the pull is complete (no cursor), ``upsert`` when it is
    incremental; ``cursor`` is set once its batches were consumed (None for
    tables always pulled whole). Fails with SourceError when a credential is
    missing or refused, or an endpoint keeps failing.
    """

    name = "api"

    def __init__(
        self,
        stripe_base: str,
        stripe_key: str,
        intercom_base: str,
        intercom_token: str,
        *,
        retry: RetryPolicy | None = None,
        stripe_version: str = STRIPE_API_VERSION,
        intercom_version: str = INTERCOM_API_VERSION,
        lookback_days: float = 3,
        stripe_page_size: int = 100,
        intercom_page_size: int = 50,
        batch_size: int = 5_000,
        stripe_event_retention_days: int = 30,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.stripe = Service(
            "Stripe",
            stripe_base,
            {
                "Authorization": f"Bearer {stripe_key}",
                "Accept": "application/json",
                "Stripe-Version": stripe_version,
            },
            "STRIPE_API_KEY",
            "STRIPE_API_BASE",
        )
        self.intercom = Service(
            "Intercom",
            intercom_base,
            {
                "Authorization": f"Bearer {intercom_token}",
                "Accept": "application/json",
                "Intercom-Version": intercom_version,
            },
            "INTERCOM_API_TOKEN",
            "INTERCOM_API_BASE",
        )
        self.lookback = int(lookback_days * DAY)
        self._has_key = {"Stripe": bool(stripe_key), "Intercom": bool(intercom_token)}
        self.retry = retry or RetryPolicy()
        self.stripe_page_size = stripe_page_size
        self.intercom_page_size = intercom_page_size
        self.batch_size = batch_size
        self.stripe_event_retention = stripe_event_retention_days * DAY
        self.clock = clock

    def extract(self, tables: list[str], cursors: dict[str, str]) -> Iterator[TableExtract]:
        """One extract per table in ``tables``; ``cursors`` are those stored by the last successful run."""
        requested = requested_tables(tables)
        services = {
            self._service_of(KIND_OF_TABLE[t]).name: self._service_of(KIND_OF_TABLE[t]) for t in requested
        }
        for service in services.values():
            if not self._has_key[service.name]:
                raise SourceError(
                    f"api source: {service.credential_env} is not set; set it to a {service.name} API "
                    f"credential with read access (or choose another source)"
                )
        run = _Run(self, cursors)
        passes: dict[str, tuple[_Pass, FanOut]] = {}
        for table in requested:
            kind = KIND_OF_TABLE[table]
            if kind.name not in passes:
                wanted = [t for t in requested if KIND_OF_TABLE[t] is kind]
                plan = run.plan(kind, wanted)
                passes[kind.name] = (plan, FanOut(plan.batches, wanted))
            plan, fan = passes[kind.name]
            extract = TableExtract(table=table, batches=iter(()), mode=plan.mode, origin=plan.origin)
            extract.batches = at_least_one(table, fan.batches(table), _set_cursor(extract, plan))
            yield extract

    def _service_of(self, kind: RecordKind) -> Service:
        return self.stripe if kind.name in _STRIPE else self.intercom


def _set_cursor(extract: TableExtract, plan: _Pass) -> Callable[[], None]:
    def done() -> None:
        extract.cursor = plan.cursor

    return done


class _Run:
    """The state of one ``extract`` call: the cursors, and the lookups passes share."""

    def __init__(self, source: ApiSource, cursors: Mapping[str, str]) -> None:
        self.source = source
        self.cursors = cursors
        self.directory = Directory()
        self.customers_complete = False
        self.unknown_customers: set[str] = set()
        self.companies_complete = False
        self.prices_known = False
        self.contact_ids: list[str] | None = None  # every contact, once walked

    def cursor(self, tables: list[str]) -> int | None:
        """The oldest stored cursor of ``tables``; None if any has none (then the pull is complete)."""
        values = []
        for table in tables:
            try:
                values.append(int(self.cursors[table]))
            except (KeyError, TypeError, ValueError):
                return None
        return min(values) if values else None

    def _stored_cursor(self, tables: list[str], since: int | None) -> int | None:
        """The cursor a pull starting at ``since`` moves on from: never back, look-back or not."""
        return None if since is None else self.cursor(tables)

    def since(self, tables: list[str]) -> int | None:
        """Where an incremental pull starts: the look-back before the cursor (None: a whole pull)."""
        cursor = self.cursor(tables)
        return None if cursor is None else max(0, cursor - self.source.lookback)

    def plan(self, kind: RecordKind, tables: list[str]) -> _Pass:
        s = self.source
        if kind.name in _STRIPE:
            listing = _STRIPE[kind.name]
            since = self.since(tables)
            if since is not None and since < s.clock() - s.stripe_event_retention:
                since = None  # events that old are gone: only a whole list is complete
            plan = _Pass("replace" if since is None else "upsert", f"{s.stripe.base_url}{listing.path}")
            plan.batches = self._stripe(kind, listing, tables, since, plan)
        elif kind is kinds.COMPANY:
            plan = _Pass("replace", f"{s.intercom.base_url}/companies")
            plan.batches = self._intercom_whole(kind, tables, plan)
        elif kind is kinds.CONTACT:
            plan = _Pass("replace", f"{s.intercom.base_url}/contacts")
            plan.batches = self._intercom_whole(kind, tables, plan)
        elif kind.name in _INTERCOM_SEARCH:
            since = self.since(tables)
            resource = _INTERCOM_SEARCH[kind.name]
            plan = _Pass("replace" if since is None else "upsert", f"{s.intercom.base_url}/{resource}/search")
            plan.batches = self._intercom_search(kind, resource, tables, since, plan)
        elif kind is kinds.EVENT:
            since = self.since(tables)
            plan = _Pass("replace" if since is None else "upsert", f"{s.intercom.base_url}/events")
            plan.batches = self._events(tables, since, plan)
        else:
            since = self.since(tables)
            plan = _Pass("replace" if since is None else "upsert", f"{s.intercom.base_url}/surveys/responses")
            plan.batches = self._surveys(tables, since, plan)
        return plan

    # Stripe

    def _stripe(
        self, kind: RecordKind, listing: _StripeList, tables: list[str], since: int | None, plan: _Pass
    ) -> Iterator[dict[str, Batch]]:
        s = self.source
        with ApiClient(s.stripe, s.retry) as http:
            stripe = StripeClient(http, s.stripe_page_size)
            needs_accounts = kind is not kinds.CUSTOMER
            if needs_accounts:
                self._learn_prices(stripe)
            if needs_accounts and since is None:
                self._learn_customers(stripe)
            builder = BatchBuilder(kind, self.directory, tables)
            newest = self._stored_cursor(tables, since)
            if since is not None:
                # Objects changed since the cursor, as the latest event shows them: added before the
                # listed objects, which are current and so win where both have one.
                changed, newest = self._changed_objects(stripe, listing, since, newest, builder)
                for obj in changed:
                    if needs_accounts:
                        self._learn_customer_of(stripe, obj)
                    builder.add(self._complete(stripe, kind, obj))
                    if builder.pending >= s.batch_size:
                        yield builder.flush()
            params = dict(listing.params)
            if since is not None:
                params["created[gte]"] = since
            for page in stripe.pages(listing.path, params):
                for obj in page:
                    newest = _newest(newest, obj.get("created") if isinstance(obj, dict) else None)
                    if needs_accounts and since is not None:
                        self._learn_customer_of(stripe, obj)
                    builder.add(self._complete(stripe, kind, obj))
                if builder.pending >= s.batch_size:
                    yield builder.flush()
            yield builder.flush()
        if kind is kinds.CUSTOMER and since is None:
            self.customers_complete = True
        plan.cursor = None if newest is None else str(newest)

    @staticmethod
    def _changed_objects(
        stripe: StripeClient, listing: _StripeList, since: int, newest: int | None, builder: BatchBuilder
    ) -> tuple[list[dict[str, Any]], int | None]:
        """The latest snapshot of every object an event since ``since`` names, and the newest time seen
        (``newest`` or a later event's).

        A ``*.deleted`` event marks its object deleted; a preview invoice is counted as skipped."""
        latest: dict[Any, tuple[int, dict[str, Any]]] = {}
        for page in stripe.events(listing.event_types, since):
            for event in page:
                created = _int(event.get("created")) or 0
                obj = (event.get("data") or {}).get("object")
                if not isinstance(obj, dict) or obj.get("object") != listing.object_name:
                    continue
                newest = _newest(newest, created)
                if listing.object_name == "invoice" and (
                    event.get("type") == "invoice.upcoming" or is_preview_invoice(obj)
                ):
                    builder.skip(PREVIEW)
                    continue
                if str(event.get("type", "")).endswith(".deleted") and listing.object_name == "customer":
                    obj = {**obj, "deleted": True}
                if obj.get("id") not in latest or created >= latest[obj.get("id")][0]:
                    latest[obj.get("id")] = (created, obj)
        return [obj for _, obj in latest.values()], newest

    @staticmethod
    def _complete(stripe: StripeClient, kind: RecordKind, obj: Any) -> Any:
        if not isinstance(obj, dict):
            return obj
        if kind is kinds.SUBSCRIPTION:
            return stripe.complete_subscription(obj)
        if kind is kinds.INVOICE and not is_preview_invoice(obj):
            return stripe.complete_invoice(obj)
        return obj

    def _learn_customer_of(self, stripe: StripeClient, obj: Any) -> None:
        """In an incremental pull, fetch the customer of a subscription or invoice if it is not known yet."""
        customer = obj.get("customer") if isinstance(obj, dict) else None
        if not isinstance(customer, str) or customer in self.directory.customer_accounts:
            return
        if self.customers_complete or customer in self.unknown_customers:
            return
        builder = BatchBuilder(kinds.CUSTOMER, self.directory, tables=())
        if not builder.add(stripe.http.get(f"/v1/customers/{customer}")):
            self.unknown_customers.add(customer)  # e.g. a deleted customer: no account key to learn
        builder.flush()

    def _learn_prices(self, stripe: StripeClient) -> None:
        """The price catalogue, once per run: what subscription items and invoice lines name by id."""
        if self.prices_known:
            return
        for page in stripe.prices():
            for obj in page:
                self.directory.add_price(obj)
        self.prices_known = True

    def _learn_customers(self, stripe: StripeClient) -> None:
        """Every customer's account key, so subscriptions and invoices get ``account_id``."""
        if self.customers_complete:
            return
        builder = BatchBuilder(kinds.CUSTOMER, self.directory, tables=())
        for page in stripe.pages("/v1/customers"):
            for obj in page:
                builder.add(obj)
            builder.flush()
        self.customers_complete = True

    # Intercom

    def _intercom_whole(self, kind: RecordKind, tables: list[str], plan: _Pass) -> Iterator[dict[str, Batch]]:
        s = self.source
        with ApiClient(s.intercom, s.retry) as http:
            intercom = IntercomClient(http, s.intercom_page_size)
            if kind is kinds.CONTACT:
                self._learn_companies(intercom)
            builder = BatchBuilder(kind, self.directory, tables)
            ids: list[str] = []
            for page in intercom.pages("/companies" if kind is kinds.COMPANY else "/contacts"):
                for obj in page:
                    builder.add(obj)
                    ids.extend(_ids([obj]))
                if builder.pending >= s.batch_size:
                    yield builder.flush()
            yield builder.flush()
        if kind is kinds.COMPANY:
            self.companies_complete = True
        else:
            self.contact_ids = list(dict.fromkeys(ids))
        plan.cursor = None

    def _learn_companies(self, intercom: IntercomClient) -> None:
        if self.companies_complete:
            return
        builder = BatchBuilder(kinds.COMPANY, self.directory, tables=())
        for page in intercom.pages("/companies"):
            for obj in page:
                builder.add(obj)
            builder.flush()
        self.companies_complete = True

    def _learn_contacts(self, intercom: IntercomClient) -> list[str]:
        """Every contact's id and account, walking the contacts once per run."""
        if self.contact_ids is None:
            self._learn_companies(intercom)
            builder = BatchBuilder(kinds.CONTACT, self.directory, tables=())
            ids: list[str] = []
            for page in intercom.pages("/contacts"):
                for obj in page:
                    builder.add(obj)
                ids.extend(_ids(page))
                builder.flush()
            self.contact_ids = list(dict.fromkeys(ids))
        return self.contact_ids

    def _intercom_search(
        self, kind: RecordKind, resource: str, tables: list[str], since: int | None, plan: _Pass
    ) -> Iterator[dict[str, Batch]]:
        s = self.source
        with ApiClient(s.intercom, s.retry) as http:
            intercom = IntercomClient(http, s.intercom_page_size)
            self._learn_contacts(intercom)
            builder = BatchBuilder(kind, self.directory, tables)
            newest = self._stored_cursor(tables, since)
            # Search has only '>': from the cursor's own second, so an update in that second is not missed.
            for page in intercom.search(resource, updated_after=0 if since is None else since - 1):
                for obj in page:
                    if isinstance(obj, dict):
                        newest = _newest(newest, obj.get("updated_at", obj.get("created_at")))
                    builder.add(obj)
                if builder.pending >= s.batch_size:
                    yield builder.flush()
            yield builder.flush()
        plan.cursor = None if newest is None else str(newest)

    def _events(self, tables: list[str], since: int | None, plan: _Pass) -> Iterator[dict[str, Batch]]:
        s = self.source
        with ApiClient(s.intercom, s.retry) as http:
            intercom = IntercomClient(http, s.intercom_page_size)
            builder = BatchBuilder(kinds.EVENT, self.directory, tables)
            newest = self._stored_cursor(tables, since)
            for contact_id in self._learn_contacts(intercom):
                for page in intercom.contact_events(contact_id):
                    reached_cursor = False
                    for event in page:
                        created = _int(event.get("created_at")) if isinstance(event, dict) else None
                        if since is not None and created is not None and created < since:
                            reached_cursor = True
                            continue
                        if isinstance(event, dict) and not event.get("intercom_user_id"):
                            # The list names the user by whichever id was submitted; we know the contact.
                            event = {**event, "intercom_user_id": contact_id}
                        newest = _newest(newest, created)
                        builder.add(event)
                    if reached_cursor:
                        break  # events come newest first: the rest is older still
                if builder.pending >= s.batch_size:
                    yield builder.flush()
            yield builder.flush()
        plan.cursor = None if newest is None else str(newest)

    def _surveys(self, tables: list[str], since: int | None, plan: _Pass) -> Iterator[dict[str, Batch]]:
        s = self.source
        with ApiClient(s.intercom, s.retry) as http:
            intercom = IntercomClient(http, s.intercom_page_size)
            self._learn_contacts(intercom)
            builder = BatchBuilder(kinds.SURVEY_RESPONSE, self.directory, tables)
            newest = self._stored_cursor(tables, since)
            for page in intercom.survey_responses(since):
                for obj in page:
                    if isinstance(obj, dict):
                        newest = _newest(newest, obj.get("created_at"))
                    builder.add(obj)
                if builder.pending >= s.batch_size:
                    yield builder.flush()
            yield builder.flush()
        plan.cursor = None if newest is None else str(newest)


def _ids(objects: list[Any]) -> list[str]:
    return [o["id"] for o in objects if isinstance(o, dict) and isinstance(o.get("id"), str) and o["id"]]
