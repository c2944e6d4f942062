"""NPS and CSAT survey responses to ``intercom_survey_responses`` rows.

Intercom has no public API that lists survey answers, so this project defines
the shape (used by the files drop and by the api source's
``GET /surveys/responses``)::

    {"id": "resp_1", "type": "nps" | "csat", "score": 9, "company_id": "acme",
     "contact_id": "c_1", "created_at": 1718000000, "comment": "text or null"}

``id``, ``type``, ``score`` and ``created_at`` are required; NPS scores are 0
to 10, CSAT scores 1 to 5. The account is ``company_id``, else the contact's.
"""

from __future__ import annotations

from typing import Any, Literal

from .directory import Directory
from .fields import Id, Int, Model, RecordError, UnixTime, validate

SCORE_RANGES = {"nps": (0, 10), "csat": (1, 5)}


class SurveyResponse(Model):
    id: Id
    type: Literal["nps", "csat"]
    score: Int
    company_id: Id | None = None
    contact_id: Id | None = None
    created_at: UnixTime
    comment: str | None = None


def parse_survey_response(obj: Any, directory: Directory) -> dict[str, list[dict[str, Any]]]:
    """A survey response to one ``intercom_survey_responses`` row."""
    r: SurveyResponse = validate(SurveyResponse, obj)
    low, high = SCORE_RANGES[r.type]
    if not low <= r.score <= high:
        raise RecordError(f"score: {r.type} scores are {low} to {high}, got {r.score}")
    row = {
        "response_id": r.id,
        "survey_type": r.type,
        "score": r.score,
        "account_id": r.company_id or directory.account_of_contact(r.contact_id),
        "contact_id": r.contact_id,
        "responded_at": r.created_at,
        "comment": r.comment,
    }
    return {"intercom_survey_responses": [row]}
