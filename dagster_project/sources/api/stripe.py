"""Stripe REST v1 reads: list pagination, the Events API, and nested lists fetched in full."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dagster_project.sources.extract import SourceError

from .http import ApiClient


def _data(page: dict[str, Any], where: str) -> list[dict[str, Any]]:
    data = page.get("data")
    if not isinstance(data, list):
        raise SourceError(f"Stripe {where} answered without a 'data' list; is this a Stripe-compatible API?")
    return data


class StripeClient:
    """Reads of one Stripe account through an ApiClient."""

    def __init__(self, http: ApiClient, page_size: int = 100) -> None:
        self.http = http
        self.page_size = page_size

    def pages(self, path: str, params: dict[str, Any] | None = None) -> Iterator[list[dict[str, Any]]]:
        """Every page of a list endpoint: ``limit``, then ``starting_after`` = last id while ``has_more``."""
        query = {**(params or {}), "limit": self.page_size}
        while True:
            page = self.http.get(path, query)
            data = _data(page, f"GET {path}")
            yield data
            if not page.get("has_more") or not data:
                return
            last = data[-1].get("id") if isinstance(data[-1], dict) else None
            if not last:
                raise SourceError(
                    f"Stripe GET {path}: the last object of a page has no id, so paging cannot go on"
                )
            query["starting_after"] = last

    def events(self, types: tuple[str, ...], since: int) -> Iterator[list[dict[str, Any]]]:
        """Pages of events of ``types`` created at or after ``since``: one type may hold ``*`` wildcards
        (``type=``), several are listed exactly (``types[]=``, at most 20)."""
        chosen: dict[str, Any] = {"type": types[0]} if len(types) == 1 else {"types[]": list(types)}
        yield from self.pages("/v1/events", {**chosen, "created[gte]": since})

    def prices(self) -> Iterator[list[dict[str, Any]]]:
        """Every price, active or not, with its tiers and product (never embedded elsewhere)."""
        yield from self.pages("/v1/prices", {"expand[]": ["data.tiers", "data.product"]})

    def complete_subscription(self, subscription: dict[str, Any]) -> dict[str, Any]:
        """The subscription with every item: Stripe embeds only the first page of ``items``."""
        return self._complete(
            subscription, "items", "/v1/subscription_items", {"subscription": subscription.get("id")}
        )

    def complete_invoice(self, invoice: dict[str, Any]) -> dict[str, Any]:
        """The invoice with every line: Stripe embeds only the first page of ``lines``."""
        return self._complete(invoice, "lines", f"/v1/invoices/{invoice.get('id')}/lines", {})

    def _complete(self, obj: dict[str, Any], key: str, path: str, params: dict[str, Any]) -> dict[str, Any]:
        nested = obj.get(key)
        if not (
            isinstance(nested, dict)
            and nested.get("has_more") is True
            and isinstance(nested.get("data"), list)
        ):
            return obj
        data = list(nested["data"])
        query = {**params, "limit": self.page_size}
        if data and isinstance(data[-1], dict) and data[-1].get("id"):
            query["starting_after"] = data[-1]["id"]
        for page in self.pages(path, query):
            data.extend(page)
        return {**obj, key: {**nested, "data": data, "has_more": False}}
