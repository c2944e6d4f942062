"""Stripe customer, subscription and invoice objects (as ``GET /v1/...`` returns them) to raw rows.

Related objects may be ids or expanded objects (``customer``, ``price.product``,
``subscription``). A subscription's items and an invoice's lines must be
complete: a nested list with ``has_more: true`` holds only its first page, so
the record is quarantined rather than landed with lines missing (the api
source fetches the rest before parsing).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator

from .directory import Directory
from .fields import Bool, Id, Int, Model, RecordError, UnixTime, metadata_json, validate


def _as_ref(value: Any) -> Any:
    # Stripe sends a related object as its id unless it was expanded.
    if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
        return {"id": value}
    return value


class _Ref(Model):
    id: Id


class _CustomerRef(Model):
    id: Id
    metadata: dict[str, Any] | None = None


class _ProductRef(Model):
    id: Id
    name: str | None = None


Ref = Annotated[_Ref, BeforeValidator(_as_ref)]
CustomerRef = Annotated[_CustomerRef, BeforeValidator(_as_ref)]
ProductRef = Annotated[_ProductRef, BeforeValidator(_as_ref)]


class Customer(Model):
    id: Id
    created: UnixTime
    name: str | None = None
    email: str | None = None
    currency: str | None = None
    delinquent: Bool | None = None
    metadata: dict[str, Any] | None = None


class Recurring(Model):
    interval: Literal["day", "week", "month", "year"]
    interval_count: Int


class Price(Model):
    id: Id
    product: ProductRef | None = None
    nickname: str | None = None
    unit_amount: Int
    currency: str
    recurring: Recurring


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
    id: Id
    product: ProductRef | None = None
    nickname: str | None = None
    unit_amount: Int | None = None
    recurring: LineRecurring | None = None


class InvoiceLine(Model):
    id: Id
    amount: Int
    currency: str
    period: Period
    # Older exports leave proration out on plain lines.
    proration: Bool = False
    price: Annotated[LinePrice, BeforeValidator(_as_ref)] | None = None
    quantity: Int | None = None
    subscription: Ref | None = None
    subscription_item: Ref | None = None
    description: str | None = None


class InvoiceLines(Model):
    data: list[InvoiceLine]
    has_more: Bool = False


class StatusTransitions(Model):
    paid_at: UnixTime | None = None


class Invoice(Model):
    id: Id
    customer: CustomerRef
    subscription: Ref | None = None
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


def _plan_name(nickname: str | None, product: _ProductRef | None) -> str | None:
    return nickname or (product.name if product else None)


def _complete(has_more: bool, what: str, endpoint: str) -> None:
    if has_more:
        raise RecordError(
            f"{what}.has_more is true: the record holds only the first page of {what}; "
            f"export it with every {what[:-1]} ({endpoint})"
        )


def parse_customer(obj: Any, directory: Directory) -> dict[str, list[dict[str, Any]]]:
    """A Stripe ``customer`` object to one ``stripe_customers`` row."""
    c: Customer = validate(Customer, obj)
    row = {
        "customer_id": c.id,
        "account_id": customer_account_id(c.id, c.metadata),
        "name": c.name,
        "email": c.email,
        "currency": c.currency.lower() if c.currency else None,
        "delinquent": c.delinquent,
        "created_at": c.created,
        "metadata": metadata_json(c.metadata),
    }
    return {"stripe_customers": [row]}


def parse_subscription(obj: Any, directory: Directory) -> dict[str, list[dict[str, Any]]]:
    """A Stripe ``subscription`` object to a ``stripe_subscriptions`` row and its item rows."""
    s: Subscription = validate(Subscription, obj)
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
    items = [
        {
            "subscription_item_id": item.id,
            "subscription_id": s.id,
            "price_id": item.price.id,
            "product_id": item.price.product.id if item.price.product else None,
            "plan_name": _plan_name(item.price.nickname, item.price.product),
            "unit_amount": item.price.unit_amount,
            "currency": item.price.currency.lower(),
            "interval": item.price.recurring.interval,
            "interval_count": item.price.recurring.interval_count,
            "quantity": 1 if item.quantity is None else item.quantity,
            "created_at": item.created,
        }
        for item in s.items.data
    ]
    return {"stripe_subscriptions": [row], "stripe_subscription_items": items}


def parse_invoice(obj: Any, directory: Directory) -> dict[str, list[dict[str, Any]]]:
    """A Stripe ``invoice`` object to a ``stripe_invoices`` row and its line item rows."""
    inv: Invoice = validate(Invoice, obj)
    _complete(inv.lines.has_more, "lines", "GET /v1/invoices/<id>/lines")
    row = {
        "invoice_id": inv.id,
        "customer_id": inv.customer.id,
        "account_id": _account_of(inv.customer, directory),
        "subscription_id": inv.subscription.id if inv.subscription else None,
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
    lines = []
    for line in inv.lines.data:
        price = line.price
        recurring = price.recurring if price else None
        subscription = line.subscription or inv.subscription
        lines.append(
            {
                "line_item_id": line.id,
                "invoice_id": inv.id,
                "subscription_id": subscription.id if subscription else None,
                "subscription_item_id": line.subscription_item.id if line.subscription_item else None,
                "price_id": price.id if price else None,
                "plan_name": _plan_name(price.nickname, price.product) if price else None,
                "unit_amount": price.unit_amount if price else None,
                "interval": recurring.interval if recurring else None,
                "interval_count": recurring.interval_count if recurring else None,
                "quantity": line.quantity,
                "amount": line.amount,
                "currency": line.currency.lower(),
                "period_start": line.period.start,
                "period_end": line.period.end,
                "proration": line.proration,
                "description": line.description,
            }
        )
    return {"stripe_invoices": [row], "stripe_invoice_line_items": lines}
