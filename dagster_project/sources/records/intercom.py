"""Intercom company, contact, conversation and ticket objects (REST API 2.x shapes) to raw rows.

The rules that turn Intercom's fields into the canonical columns:

- company ``account_owner``: ``custom_attributes.account_owner``, else the
  top-level ``owner_id`` (the teammate assigned to the company, where the API
  exposes one);
- contact ``account_id``: the first entry of ``companies.data``: its
  ``company_id`` when present, else its Intercom ``id`` looked up among the
  companies read (real Intercom lists only ``{type, id, url}`` there);
- conversation ``initiated_by``: ``source.author.type`` user, contact or lead
  is ``customer``; admin, bot or team is ``team``. ``answered_by`` is the other
  side when it replied, with ``first_response_at`` from ``statistics``
  (``first_admin_reply_at`` for a customer-initiated conversation,
  ``first_contact_reply_at`` for a team-initiated one); null when it did not;
- ticket ``priority``: ``ticket_attributes.priority`` (any case), else a
  top-level ``priority``; low/normal/high/urgent, with ``medium`` read as
  normal and Intercom's ``priority``/``not_priority`` flag as high/normal;
  absent means normal. ``state``: ``ticket_state`` (text, or the object's
  ``category``). ``closed_at``: for resolved tickets,
  ``statistics.last_close_at``, else ``updated_at``; null while not resolved.
- ``account_id`` of conversations and tickets: the account of their first
  contact, looked up among the contacts read.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator

from .directory import Directory
from .fields import Id, Int, Model, RecordError, UnixTime, show, validate


def _plan_object(value: Any) -> Any:
    # Intercom gives the plan as {type, id, name}; flat exports often give just its name.
    return {"name": value} if isinstance(value, str) else value


class _Plan(Model):
    name: str | None = None


class Company(Model):
    id: Id | None = None
    company_id: Id
    name: str | None = None
    plan: Annotated[_Plan, BeforeValidator(_plan_object)] | None = None
    industry: str | None = None
    size: Int | None = None
    owner_id: Id | None = None
    custom_attributes: dict[str, Any] | None = None
    created_at: UnixTime
    updated_at: UnixTime | None = None


class CompanyRef(Model):
    company_id: Id | None = None
    id: Id | None = None


class CompanyRefs(Model):
    data: list[CompanyRef] = []


class Contact(Model):
    id: Id
    external_id: Id | None = None
    email: str | None = None
    name: str | None = None
    role: str | None = None
    companies: CompanyRefs | None = None
    created_at: UnixTime
    updated_at: UnixTime | None = None
    last_seen_at: UnixTime | None = None


class ContactRef(Model):
    id: Id
    external_id: Id | None = None


class ContactRefs(Model):
    # Conversations and tickets list contacts under "contacts"; some exports use "data".
    contacts: list[ContactRef] | None = None
    data: list[ContactRef] | None = None

    def first(self) -> ContactRef | None:
        refs = self.contacts if self.contacts is not None else self.data
        return refs[0] if refs else None


class Author(Model):
    type: Literal["user", "contact", "lead", "admin", "bot", "team"]
    id: Id | None = None


class ConversationSource(Model):
    author: Author


class Statistics(Model):
    first_admin_reply_at: UnixTime | None = None
    first_contact_reply_at: UnixTime | None = None
    last_close_at: UnixTime | None = None


class Rating(Model):
    rating: Int | None = None


class Conversation(Model):
    id: Id
    created_at: UnixTime
    updated_at: UnixTime | None = None
    state: Literal["open", "closed", "snoozed"] | None = None
    source: ConversationSource
    contacts: ContactRefs | None = None
    admin_assignee_id: Id | None = None
    statistics: Statistics | None = None
    conversation_rating: Rating | None = None


def _state_category(value: Any) -> Any:
    # API 2.11+ returns ticket_state as an object whose category is the state; older versions as text.
    return value.get("category") if isinstance(value, dict) else value


class Ticket(Model):
    id: Id
    category: str | None = None
    ticket_attributes: dict[str, Any] | None = None
    ticket_state: Annotated[
        Literal["submitted", "in_progress", "waiting_on_customer", "resolved"],
        BeforeValidator(_state_category),
    ]
    priority: Any = None
    contacts: ContactRefs | None = None
    created_at: UnixTime
    updated_at: UnixTime | None = None
    statistics: Statistics | None = None
    conversation_rating: Rating | None = None


_CUSTOMER_AUTHORS = {"user", "contact", "lead"}

PRIORITIES = ("low", "normal", "high", "urgent")
_PRIORITY_ALIASES = {"medium": "normal", "priority": "high", "not_priority": "normal"}


def _text(value: Any) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value if isinstance(value, str) and value.strip() else None


def _rating(rating: Rating | None, where: str) -> int | None:
    if rating is None or rating.rating is None:
        return None
    if not 1 <= rating.rating <= 5:
        raise RecordError(f"{where}.rating: expected a rating from 1 to 5, got {rating.rating}")
    return rating.rating


def _contact_and_account(refs: ContactRefs | None, directory: Directory) -> tuple[str | None, str | None]:
    first = refs.first() if refs else None
    if first is None:
        return None, None
    contact_id = first.id
    if contact_id not in directory.contact_accounts and first.external_id:
        contact_id = directory.contact_with_external_id(first.external_id) or contact_id
    return contact_id, directory.account_of_contact(contact_id)


def parse_company(obj: Any, directory: Directory) -> dict[str, list[dict[str, Any]]]:
    """An Intercom ``company`` to one ``intercom_companies`` row."""
    c: Company = validate(Company, obj)
    owner = _text((c.custom_attributes or {}).get("account_owner")) or c.owner_id
    row = {
        "company_id": c.company_id,
        "account_id": c.company_id,
        "intercom_id": c.id,
        "name": c.name,
        "plan_name": c.plan.name if c.plan else None,
        "industry": c.industry,
        "employee_count": c.size,
        "account_owner": owner,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
    }
    return {"intercom_companies": [row]}


def parse_contact(obj: Any, directory: Directory) -> dict[str, list[dict[str, Any]]]:
    """An Intercom ``contact`` to one ``intercom_contacts`` row."""
    c: Contact = validate(Contact, obj)
    first = c.companies.data[0] if c.companies and c.companies.data else None
    account_id = None
    if first is not None:
        account_id = first.company_id or directory.company_id_of(first.id)
    row = {
        "contact_id": c.id,
        "external_id": c.external_id,
        "account_id": account_id,
        "email": c.email,
        "name": c.name,
        "role": c.role,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
        "last_seen_at": c.last_seen_at,
    }
    return {"intercom_contacts": [row]}


def parse_conversation(obj: Any, directory: Directory) -> dict[str, list[dict[str, Any]]]:
    """An Intercom ``conversation`` (as listed, without parts) to one ``intercom_conversations`` row."""
    c: Conversation = validate(Conversation, obj)
    author = c.source.author
    initiated_by = "customer" if author.type in _CUSTOMER_AUTHORS else "team"
    stats = c.statistics or Statistics()
    if initiated_by == "customer":
        first_response_at, responder = stats.first_admin_reply_at, "team"
    else:
        first_response_at, responder = stats.first_contact_reply_at, "customer"
    contact_id, account_id = _contact_and_account(c.contacts, directory)
    if contact_id is None and author.type in _CUSTOMER_AUTHORS:
        contact_id = author.id
        account_id = directory.account_of_contact(contact_id)
    row = {
        "conversation_id": c.id,
        "account_id": account_id,
        "contact_id": contact_id,
        "initiated_by": initiated_by,
        "answered_by": responder if first_response_at is not None else None,
        "state": c.state,
        "admin_assignee_id": c.admin_assignee_id,
        "created_at": c.created_at,
        "first_response_at": first_response_at,
        "updated_at": c.updated_at,
        "rating": _rating(c.conversation_rating, "conversation_rating"),
    }
    return {"intercom_conversations": [row]}


def ticket_priority(attributes: dict[str, Any] | None, top_level: Any) -> str:
    """The canonical priority of a ticket (see the module docstring), or RecordError."""
    value = next((v for k, v in (attributes or {}).items() if k.lower() == "priority"), None)
    if value is None:
        value = top_level
    if value is None:
        return "normal"
    text = value.strip().lower() if isinstance(value, str) else None
    text = _PRIORITY_ALIASES.get(text, text) if text else None
    if text not in PRIORITIES:
        raise RecordError(f"priority: unknown value {show(value)} (expected low, normal, high or urgent)")
    return text


def parse_ticket(obj: Any, directory: Directory) -> dict[str, list[dict[str, Any]]]:
    """An Intercom ``ticket`` to one ``intercom_tickets`` row; ``id`` (not the inbox number) is its key."""
    t: Ticket = validate(Ticket, obj)
    priority = ticket_priority(t.ticket_attributes, t.priority)
    closed_at = None
    if t.ticket_state == "resolved":
        closed_at = (t.statistics.last_close_at if t.statistics else None) or t.updated_at
    contact_id, account_id = _contact_and_account(t.contacts, directory)
    title = (t.ticket_attributes or {}).get("_default_title_")
    row = {
        "ticket_id": t.id,
        "account_id": account_id,
        "contact_id": contact_id,
        "category": t.category,
        "title": title if isinstance(title, str) else None,
        "priority": priority,
        "state": t.ticket_state,
        "created_at": t.created_at,
        "updated_at": t.updated_at,
        "closed_at": closed_at,
        "rating": _rating(t.conversation_rating, "conversation_rating"),
    }
    return {"intercom_tickets": [row]}
