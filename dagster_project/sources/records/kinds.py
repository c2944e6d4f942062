"""The kinds of source record, the raw tables each fills, and the parser for it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import events, intercom, stripe, surveys
from .directory import Directory

Parser = Callable[[Any, Directory], dict[str, list[dict[str, Any]]]]


@dataclass(frozen=True)
class RecordKind:
    """One kind of source object.

    A record of this kind counts as read in ``table`` (and is quarantined
    there when it is bad); ``derived`` tables get rows built from parts of it,
    such as a subscription's items.
    """

    name: str
    table: str
    parse: Parser
    derived: tuple[str, ...] = ()

    @property
    def tables(self) -> tuple[str, ...]:
        return (self.table, *self.derived)


CUSTOMER = RecordKind("Stripe customer", "stripe_customers", stripe.parse_customer)
SUBSCRIPTION = RecordKind(
    "Stripe subscription", "stripe_subscriptions", stripe.parse_subscription, ("stripe_subscription_items",)
)
INVOICE = RecordKind(
    "Stripe invoice", "stripe_invoices", stripe.parse_invoice, ("stripe_invoice_line_items",)
)
COMPANY = RecordKind("Intercom company", "intercom_companies", intercom.parse_company)
CONTACT = RecordKind("Intercom contact", "intercom_contacts", intercom.parse_contact)
CONVERSATION = RecordKind("Intercom conversation", "intercom_conversations", intercom.parse_conversation)
TICKET = RecordKind("Intercom ticket", "intercom_tickets", intercom.parse_ticket)
EVENT = RecordKind("Intercom data event", "intercom_events", events.parse_event)
SURVEY_RESPONSE = RecordKind("survey response", "intercom_survey_responses", surveys.parse_survey_response)

KINDS: tuple[RecordKind, ...] = (
    CUSTOMER,
    SUBSCRIPTION,
    INVOICE,
    COMPANY,
    CONTACT,
    CONVERSATION,
    TICKET,
    EVENT,
    SURVEY_RESPONSE,
)

# Every raw table, named or derived, to the kind of record it comes from.
KIND_OF_TABLE: dict[str, RecordKind] = {t: k for k in KINDS for t in k.tables}
