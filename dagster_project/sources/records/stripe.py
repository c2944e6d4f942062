"""Stripe customer, subscription and invoice objects (as ``GET /v1/...`` returns them) to raw rows.

One parser reads every Stripe API version the project covers (README, "API
versions"), object by object, so a drop may mix them:

- **before 2025-03-31** (acacia and older): an invoice names its
  ``subscription``; a line carries ``price``, ``proration``, ``subscription``
  and ``subscription_item``, and ``tax_amounts[].inclusive``;
- **from 2025-03-31** (basil, clover, dahlia): the invoice's subscription is
  ``parent.subscription_details.subscription``; a line's ``proration``,
  ``subscription`` and ``subscription_item`` are under
  ``parent.subscription_item_details`` (or ``parent.invoice_item_details``
  for invoice items), its price under ``pricing.price_details.price`` (an id,
  expandable from 2025-12-15) with ``pricing.unit_amount_decimal``, and its
  taxes in ``taxes[].tax_behavior``; the billing period moved from the
  subscription to its items.

Related objects may be ids or expanded objects (``customer``, ``product``,
``subscription``, ``price``). A price named only by id is looked up in the
directory's price catalogue (``GET /v1/prices``, or ``stripe/prices.jsonl``),
which also supplies the tiers Stripe never embeds. A subscription's items and
an invoice's lines must be complete: a nested list with ``has_more: true``
holds only its first page, so the record is quarantined rather than landed
with lines missing (the api source fetches the rest before parsing).

Not everything Stripe sends is a record: a preview invoice (``invoice.upcoming``,
``id`` missing or ``upcoming_...``) is skipped and counted. A deleted customer
(``deleted: true``) lands flagged as deleted; staging ends its subscriptions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator

from .directory import Directory
from .fields import Bool, Id, Int, Model, RecordError, RecordSkipped, UnixTime, metadata_json, validate
from .stripe_prices import (
    DecimalText,
    Price,
    Product,
    ProductRef,
    amount_per_interval,
    expandable,
    whole_minor_units,
)


class _Ref(Model):
    id: Id


class _CustomerRef(Model):
    id: Id
    metadata: dict[str, Any] | None = None


Ref = Annotated[_Ref, BeforeValidator(expandable)]
CustomerRef = Annotated[_CustomerRef, BeforeValidator(expandable)]


class Customer(Model):
    id: Id
    created: UnixTime
    name: str | None = None
    email: str | None = None
    currency: str | None = None
    delinquent: Bool | None = None
    metadata: dict[str, Any] | None = None


class DeletedCustomer(Model):
    """``GET /v1/customers/<id>`` of a deleted customer: ``{"id", "object", "deleted": true}``, and
    sometimes the rest of the customer (a ``customer.deleted`` event's object)."""

    id: Id
    created: UnixTime | None = None
    name: str | None = None
    email: str | None = None
    currency: str | None = None
    delinquent: Bool | None = None
    metadata: dict[str, Any] | None = None


class SubscriptionItem(Model):
    id: Id
    price: Price
    # Metered prices have no quantity; they count as one unit.
    quantity: Int | None = None
    created: UnixTime | None = None
    # API versions from 2025-03-31 moved the billing period from the subscription to its items.
    current_period_start: UnixTime | None = None
    current_period_end: UnixTime | None = None


class SubscriptionItems(Model):
    data: list[SubscriptionItem]
    has_more: Bool = False


class Subscription(Model):
    id: Id
    customer: CustomerRef
    status: Literal[
        "trialing", "active", "past_due", "unpaid", "canceled", "incomplete", "incomplete_expired", "paused"
    ]
    created: UnixTime
    start_date: UnixTime | None = None
    current_period_start: UnixTime | None = None
    current_period_end: UnixTime | None = None
    cancel_at_period_end: Bool | None = None
    canceled_at: UnixTime | None = None
    ended_at: UnixTime | None = None
    metadata: dict[str, Any] | None = None
    items: SubscriptionItems


class Period(Model):
    start: UnixTime
    end: UnixTime


class LineRecurring(Model):
    interval: Literal["day", "week", "month", "year"] | None = None
    interval_count: Int | None = None


class LinePrice(Model):
    """A line's price: a whole price object, or just ``{"id"}`` when it was not expanded."""

    id: Id
    product: ProductRef | None = None
    nickname: str | None = None
    unit_amount: Int | None = None
    unit_amount_decimal: DecimalText | None = None
    recurring: LineRecurring | None = None


class LineDetails(Model):
    """``parent.subscription_item_details`` or ``parent.invoice_item_details`` (from 2025-03-31)."""

    subscription: Ref | None = None
    subscription_item: Ref | None = None
    proration: Bool | None = None


class LineParent(Model):
    type: str | None = None
    subscription_item_details: LineDetails | None = None
    invoice_item_details: LineDetails | None = None

    def details(self) -> LineDetails | None:
        """The details ``type`` names, else whichever is present."""
        named = getattr(self, self.type) if self.type in _LINE_DETAILS else None
        return named or self.subscription_item_details or self.invoice_item_details


_LINE_DETAILS = ("subscription_item_details", "invoice_item_details")


class PriceDetails(Model):
    price: Annotated[LinePrice, BeforeValidator(expandable)] | None = None
    product: ProductRef | None = None


class Pricing(Model):
    price_details: PriceDetails | None = None
    unit_amount_decimal: DecimalText | None = None


class Amount(Model):
    amount: Int


class TaxAmount(Model):
    """``tax_amounts[]`` (before 2025-03-31)."""

    amount: Int
    inclusive: Bool | None = None


class Tax(Model):
    """``taxes[]`` (from 2025-03-31)."""

    amount: Int
    tax_behavior: Literal["inclusive", "exclusive"] | None = None


class InvoiceLine(Model):
    id: Id
    amount: Int
    currency: str
    period: Period
    # Before 2025-03-31: "subscription" or "invoiceitem".
    type: str | None = None
    proration: Bool | None = None
    price: Annotated[LinePrice, BeforeValidator(expandable)] | None = None
    quantity: Int | None = None
    subscription: Ref | None = None
    subscription_item: Ref | None = None
    parent: LineParent | None = None
    pricing: Pricing | None = None
    discount_amounts: list[Amount] | None = None
    tax_amounts: list[TaxAmount] | None = None
    taxes: list[Tax] | None = None
    description: str | None = None


class InvoiceLines(Model):
    data: list[InvoiceLine]
    has_more: Bool = False


class StatusTransitions(Model):
    paid_at: UnixTime | None = None


class SubscriptionDetails(Model):
    subscription: Ref | None = None


class InvoiceParent(Model):
    subscription_details: SubscriptionDetails | None = None


class Invoice(Model):
    id: Id
    customer: CustomerRef
    subscription: Ref | None = None
    parent: InvoiceParent | None = None
    status: Literal["draft", "open", "paid", "uncollectible", "void"]
    currency: str
    amount_due: Int
    amount_paid: Int
    amount_remaining: Int | None = None
    attempt_count: Int | None = None
    created: UnixTime
    due_date: UnixTime | None = None
    status_transitions: StatusTransitions | None = None
    period_start: UnixTime | None = None
    period_end: UnixTime | None = None
    lines: InvoiceLines

    @property
    def subscription_id(self) -> str | None:
        details = self.parent.subscription_details if self.parent else None
        ref = self.subscription or (details.subscription if details else None)
        return ref.id if ref else None


def customer_account_id(customer_id: str, metadata: Mapping[str, Any] | None) -> str:
    """The account key of a Stripe customer: ``metadata.account_id`` when set, else the customer id."""
    value = (metadata or {}).get("account_id")
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return value if isinstance(value, str) and value.strip() else customer_id


def _account_of(customer: _CustomerRef, directory: Directory) -> str | None:
    if customer.metadata is not None:  # expanded customer object
        return customer_account_id(customer.id, customer.metadata)
    return directory.account_of_customer(customer.id)


def _plan_name(nickname: str | None, product: Product | None) -> str | None:
    return nickname or (product.name if product else None)


def _complete(has_more: bool, what: str, endpoint: str) -> None:
    if has_more:
        raise RecordError(
            f"{what}.has_more is true: the record holds only the first page of {what}; "
            f"export it with every {what[:-1]} ({endpoint})"
        )


def _with_catalogue(price: Any, directory: Directory) -> Any:
    """A price as embedded, with what it lacks (an unexpanded id, its tiers) from the price catalogue.

    The embedded values win: the catalogue only fills fields that are absent or null.
    """
    price_id = price if isinstance(price, str) else price.get("id") if isinstance(price, Mapping) else None
    listed = directory.price(price_id) if isinstance(price_id, str) else None
    if listed is None:
        return price
    if not isinstance(price, Mapping):
        return listed
    return {**listed, **{k: v for k, v in price.items() if v is not None}}


def _resolve_prices(obj: Any, directory: Directory) -> Any:
    """``obj`` with the prices of its items or lines completed from the catalogue (before validation)."""
    if not directory.prices or not isinstance(obj, Mapping):
        return obj
    key = "items" if "items" in obj else "lines"
    nested = obj.get(key)
    if not (isinstance(nested, Mapping) and isinstance(nested.get("data"), list)):
        return obj
    completed = []
    for entry in nested["data"]:
        if isinstance(entry, Mapping):
            entry = dict(entry)
            if "price" in entry:
                entry["price"] = _with_catalogue(entry["price"], directory)
            pricing = entry.get("pricing")
            details = pricing.get("price_details") if isinstance(pricing, Mapping) else None
            if isinstance(details, Mapping) and "price" in details:
                pricing = dict(entry["pricing"])
                pricing["price_details"] = {**details, "price": _with_catalogue(details["price"], directory)}
                entry["pricing"] = pricing
        completed.append(entry)
    return {**obj, key: {**nested, "data": completed}}


def parse_customer(obj: Any, directory: Directory) -> dict[str, list[dict[str, Any]]]:
    """A Stripe ``customer`` object (or a deleted one) to one ``stripe_customers`` row."""
    deleted = isinstance(obj, Mapping) and obj.get("deleted") is True
    c: Customer | DeletedCustomer = validate(DeletedCustomer if deleted else Customer, obj)
    row = {
        "customer_id": c.id,
        "account_id": customer_account_id(c.id, c.metadata),
        "name": c.name,
        "email": c.email,
        "currency": c.currency.lower() if c.currency else None,
        "delinquent": c.delinquent,
        "deleted": deleted,
        "created_at": c.created,
        "metadata": metadata_json(c.metadata),
    }
    return {"stripe_customers": [row]}


def parse_subscription(obj: Any, directory: Directory) -> dict[str, list[dict[str, Any]]]:
    """A Stripe ``subscription`` object to a ``stripe_subscriptions`` row and its item rows."""
    s: Subscription = validate(Subscription, _resolve_prices(obj, directory))
    _complete(s.items.has_more, "items", "GET /v1/subscription_items?subscription=<id>")
    first = s.items.data[0] if s.items.data else None
    row = {
        "subscription_id": s.id,
        "customer_id": s.customer.id,
        "account_id": _account_of(s.customer, directory),
        "status": s.status,
        "created_at": s.created,
        "started_at": s.start_date,
        "current_period_start": s.current_period_start or (first.current_period_start if first else None),
        "current_period_end": s.current_period_end or (first.current_period_end if first else None),
        "cancel_at_period_end": s.cancel_at_period_end,
        "canceled_at": s.canceled_at,
        "ended_at": s.ended_at,
        "metadata": metadata_json(s.metadata),
    }
    items = []
    for item in s.items.data:
        quantity = 1 if item.quantity is None else item.quantity
        items.append(
            {
                "subscription_item_id": item.id,
                "subscription_id": s.id,
                "price_id": item.price.id,
                "product_id": item.price.product.id if item.price.product else None,
                "plan_name": _plan_name(item.price.nickname, item.price.product),
                "unit_amount": item.price.unit_amount_minor(),
                "amount_per_interval": amount_per_interval(item.price, quantity),
                "usage_type": item.price.recurring.usage_type or "licensed",
                "currency": item.price.currency.lower(),
                "interval": item.price.recurring.interval,
                "interval_count": item.price.recurring.interval_count,
                "quantity": quantity,
                "created_at": item.created,
            }
        )
    return {"stripe_subscriptions": [row], "stripe_subscription_items": items}


def is_preview_invoice(obj: Any) -> bool:
    """A preview (``invoice.upcoming``, ``POST /v1/invoices/create_preview``): an invoice object with no id,
    or an ``upcoming_`` one. It is not an invoice yet and has no lines of its own to fetch."""
    if not isinstance(obj, Mapping):
        return False
    invoice_id = obj.get("id")
    if isinstance(invoice_id, str) and invoice_id.startswith("upcoming_"):
        return True
    return invoice_id is None and obj.get("object") == "invoice"


def _line_row(line: InvoiceLine, inv: Invoice) -> dict[str, Any]:
    details = line.parent.details() if line.parent else None
    price_details = line.pricing.price_details if line.pricing else None
    price = line.price or (price_details.price if price_details else None)
    product = (price.product if price else None) or (price_details.product if price_details else None)
    subscription = line.subscription or (details.subscription if details else None)
    item = line.subscription_item or (details.subscription_item if details else None)
    proration = line.proration if line.proration is not None else bool(details and details.proration)
    # A line of the subscription itself may leave its subscription to the invoice; an invoice item may not.
    recurring_line = (
        line.type == "subscription"
        or item is not None
        or (line.parent is not None and line.parent.type == "subscription_item_details")
        or (line.type is None and line.parent is None)
    )
    subscription_id = subscription.id if subscription else inv.subscription_id if recurring_line else None
    # What this line billed per unit, else its price's (a price's amounts never change)
    billed_unit = line.pricing.unit_amount_decimal if line.pricing else None
    if billed_unit is not None:
        unit = whole_minor_units(billed_unit)
    elif price is not None:
        unit = (
            price.unit_amount
            if price.unit_amount is not None
            else whole_minor_units(price.unit_amount_decimal)
        )
    else:
        unit = None
    recurring = price.recurring if price else None
    inclusive_tax = [t.amount for t in line.tax_amounts or [] if t.inclusive] + [
        t.amount for t in line.taxes or [] if t.tax_behavior == "inclusive"
    ]
    return {
        "line_item_id": line.id,
        "invoice_id": inv.id,
        "subscription_id": subscription_id,
        "subscription_item_id": item.id if item else None,
        "price_id": price.id if price else None,
        "plan_name": _plan_name(price.nickname if price else None, product),
        "unit_amount": unit,
        "interval": recurring.interval if recurring else None,
        "interval_count": recurring.interval_count if recurring else None,
        "quantity": line.quantity,
        "amount": line.amount,
        "discount_amount": sum(d.amount for d in line.discount_amounts or []),
        "inclusive_tax_amount": sum(inclusive_tax),
        "currency": line.currency.lower(),
        "period_start": line.period.start,
        "period_end": line.period.end,
        "proration": proration,
        "description": line.description,
    }


def parse_invoice(obj: Any, directory: Directory) -> dict[str, list[dict[str, Any]]]:
    """A Stripe ``invoice`` object to a ``stripe_invoices`` row and its line item rows."""
    if is_preview_invoice(obj):
        raise RecordSkipped("preview invoice (invoice.upcoming): not an invoice until Stripe finalises it")
    inv: Invoice = validate(Invoice, _resolve_prices(obj, directory))
    _complete(inv.lines.has_more, "lines", "GET /v1/invoices/<id>/lines")
    row = {
        "invoice_id": inv.id,
        "customer_id": inv.customer.id,
        "account_id": _account_of(inv.customer, directory),
        "subscription_id": inv.subscription_id,
        "status": inv.status,
        "currency": inv.currency.lower(),
        "amount_due": inv.amount_due,
        "amount_paid": inv.amount_paid,
        "amount_remaining": inv.amount_remaining,
        "attempt_count": inv.attempt_count,
        "created_at": inv.created,
        "due_at": inv.due_date,
        "paid_at": inv.status_transitions.paid_at if inv.status_transitions else None,
        "period_start": inv.period_start,
        "period_end": inv.period_end,
    }
    lines = [_line_row(line, inv) for line in inv.lines.data]
    return {"stripe_invoices": [row], "stripe_invoice_line_items": lines}
