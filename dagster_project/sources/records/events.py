"""Intercom data events (``GET /events`` objects) to ``intercom_events`` rows.

Intercom's event objects have no event id (their ``id`` is the user's id, not
the event's), so ``event_id`` is an explicit ``event_id`` field when an export
carries one, else :func:`stable_event_id` of the event, which a re-pull
reproduces exactly. The contact is ``intercom_user_id``, else the contact whose
``external_id`` is ``user_id`` (or ``id``), else the contact with that
``email``; the account is that contact's.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from .directory import Directory
from .fields import Id, Model, UnixTime, metadata_json, validate

_EPOCH = datetime(1970, 1, 1)
# A separator that cannot occur in the hashed fields' text.
_SEP = "\x1f"


class Event(Model):
    event_id: Id | None = None
    event_name: Id
    created_at: UnixTime
    intercom_user_id: Id | None = None
    user_id: Id | None = None
    id: Id | None = None
    email: str | None = None
    metadata: dict[str, Any] | None = None


def stable_event_id(event_name: str, occurred_at: datetime, who: str | None, metadata: str | None) -> str:
    """``evh_`` + md5 of name, microseconds since 1970, who did it and metadata JSON, joined by U+001F.

    The files source computes the same expression in SQL for CSV and Parquet events.
    """
    micros = (occurred_at - _EPOCH) // timedelta(microseconds=1)
    key = _SEP.join([event_name, str(micros), who or "", metadata or ""])
    return "evh_" + hashlib.md5(key.encode("utf-8")).hexdigest()


def parse_event(obj: Any, directory: Directory) -> dict[str, list[dict[str, Any]]]:
    """An Intercom data event to one ``intercom_events`` row."""
    e: Event = validate(Event, obj)
    contact_id = (
        e.intercom_user_id
        or directory.contact_with_external_id(e.user_id)
        or directory.contact_with_external_id(e.id)
        or directory.contact_with_email(e.email)
    )
    metadata = metadata_json(e.metadata)
    who = e.intercom_user_id or e.user_id or e.id or e.email
    row = {
        "event_id": e.event_id or stable_event_id(e.event_name, e.created_at, who, metadata),
        "event_name": e.event_name,
        "occurred_at": e.created_at,
        "contact_id": contact_id,
        "account_id": directory.account_of_contact(contact_id),
        "metadata": metadata,
    }
    return {"intercom_events": [row]}
