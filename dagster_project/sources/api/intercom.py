"""Intercom REST 2.x reads: cursor-paged lists, search, per-contact data events, survey responses."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dagster_project.sources.extract import SourceError

from .http import ApiClient

# Lists name their items differently: {"data": [...]}, {"conversations": [...]}, {"events": [...]}...
_ITEM_KEYS = ("data", "conversations", "tickets", "contacts", "companies", "events")


def _items(page: dict[str, Any], where: str) -> list[dict[str, Any]]:
    for key in _ITEM_KEYS:
        if isinstance(page.get(key), list):
            return page[key]
    raise SourceError(
        f"Intercom {where} answered without a list of items; is this an Intercom-compatible API?"
    )


def _next(page: dict[str, Any]) -> Any:
    pages = page.get("pages")
    return pages.get("next") if isinstance(pages, dict) else None


class IntercomClient:
    """Reads of one Intercom workspace through an ApiClient."""

    def __init__(self, http: ApiClient, page_size: int = 50) -> None:
        self.http = http
        self.page_size = page_size

    def pages(self, path: str, params: dict[str, Any] | None = None) -> Iterator[list[dict[str, Any]]]:
        """Every page of a GET list, following ``pages.next``.

        ``next`` is ``{"starting_after": cursor}`` on most lists and a URL on
        data events; a URL is followed as given.
        """
        query: dict[str, Any] | None = {**(params or {}), "per_page": self.page_size}
        target = path
        while True:
            page = self.http.get(target, query)
            yield _items(page, f"GET {path}")
            following = _next(page)
            if isinstance(following, dict) and following.get("starting_after"):
                query = {
                    **(params or {}),
                    "per_page": self.page_size,
                    "starting_after": following["starting_after"],
                }
            elif isinstance(following, str) and following:
                target, query = following, None
            else:
                return

    def search(self, resource: str, updated_after: int) -> Iterator[list[dict[str, Any]]]:
        """Every page of ``POST /<resource>/search`` for ``updated_at > updated_after``.

        The page cursor goes in the body, as Intercom's search expects.
        """
        pagination: dict[str, Any] = {"per_page": self.page_size}
        path = f"/{resource}/search"
        while True:
            body = {
                "query": {"field": "updated_at", "operator": ">", "value": updated_after},
                "pagination": pagination,
            }
            page = self.http.post(path, body)
            yield _items(page, f"POST {path}")
            following = _next(page)
            if not (isinstance(following, dict) and following.get("starting_after")):
                return
            pagination = {"per_page": self.page_size, "starting_after": following["starting_after"]}

    def contact_events(self, contact_id: str) -> Iterator[list[dict[str, Any]]]:
        """Pages of one contact's data events (Intercom keeps the last 90 days), newest first."""
        yield from self.pages("/events", {"type": "user", "intercom_user_id": contact_id})

    def survey_responses(self, since: int | None) -> Iterator[list[dict[str, Any]]]:
        """Pages of ``GET /surveys/responses`` (this project's convention), created at or after ``since``."""
        yield from self.pages("/surveys/responses", {} if since is None else {"created_since": since})
