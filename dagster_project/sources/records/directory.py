"""What a source knows about customers, companies and contacts, to fill ``account_id`` on other records.

Real API objects rarely carry the account key themselves: an Intercom contact
names its company by Intercom's own id, a conversation names only its contact,
a Stripe subscription only its customer. A source fills a Directory from the
companies, contacts and customers it reads, and the parsers look keys up in
it. A lookup that finds nothing leaves ``account_id`` null; staging then
resolves or reports it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Directory:
    """Lookups from source ids to the account key."""

    # Stripe customer id -> account_id.
    customer_accounts: dict[str, str] = field(default_factory=dict)
    # Intercom's own company id -> the company's company_id (the account key).
    company_ids: dict[str, str] = field(default_factory=dict)
    # Intercom contact id -> account_id of its first company (None when it has none).
    contact_accounts: dict[str, str | None] = field(default_factory=dict)
    # The product's user id (a contact's external_id) -> Intercom contact id.
    contacts_by_external_id: dict[str, str] = field(default_factory=dict)
    # E-mail -> Intercom contact id, for events that name their user only by e-mail.
    contacts_by_email: dict[str, str] = field(default_factory=dict)
    # Stripe price id -> the price object as listed (``GET /v1/prices``, ``stripe/prices.jsonl``): from API
    # version 2025-03-31 an invoice line names its price by id only, and tiers are never embedded.
    prices: dict[str, Mapping[str, Any]] = field(default_factory=dict)

    def learn(self, table: str, rows: Iterable[Mapping[str, Any]]) -> None:
        """Remember the keys in canonical rows of stripe_customers, intercom_companies, intercom_contacts."""
        if table == "stripe_customers":
            for r in rows:
                # A deleted customer's stub has no metadata: its account key is unknown, not its id.
                if not (r.get("deleted") and r.get("metadata") is None):
                    self.add_customer(r["customer_id"], r["account_id"])
        elif table == "intercom_companies":
            for r in rows:
                self.add_company(r["intercom_id"], r["company_id"])
        elif table == "intercom_contacts":
            for r in rows:
                self.add_contact(r["contact_id"], r["account_id"], r["external_id"], r["email"])

    def add_customer(self, customer_id: str, account_id: str) -> None:
        self.customer_accounts[customer_id] = account_id

    def add_company(self, intercom_id: str | None, company_id: str) -> None:
        if intercom_id:
            self.company_ids[intercom_id] = company_id

    def add_contact(
        self, contact_id: str, account_id: str | None, external_id: str | None, email: str | None
    ) -> None:
        self.contact_accounts[contact_id] = account_id
        if external_id:
            self.contacts_by_external_id[external_id] = contact_id
        if email:
            self.contacts_by_email[email.lower()] = contact_id

    def add_price(self, obj: Any) -> None:
        """Remember a price object by its id; anything without an id is ignored (it cannot be looked up)."""
        if isinstance(obj, Mapping) and isinstance(obj.get("id"), str) and obj["id"]:
            self.prices[obj["id"]] = obj

    def price(self, price_id: str | None) -> Mapping[str, Any] | None:
        return self.prices.get(price_id) if price_id else None

    def account_of_customer(self, customer_id: str | None) -> str | None:
        return self.customer_accounts.get(customer_id) if customer_id else None

    def account_of_contact(self, contact_id: str | None) -> str | None:
        return self.contact_accounts.get(contact_id) if contact_id else None

    def company_id_of(self, intercom_id: str | None) -> str | None:
        return self.company_ids.get(intercom_id) if intercom_id else None

    def contact_with_external_id(self, external_id: str | None) -> str | None:
        return self.contacts_by_external_id.get(external_id) if external_id else None

    def contact_with_email(self, email: str | None) -> str | None:
        return self.contacts_by_email.get(email.lower()) if email else None
