"""Field types shared by the record models, and readable reasons for records that fail them.

The models accept the JSON types the public APIs use: ids are strings (numbers
are accepted and turned into text), money and counts are integers, flags are
booleans, timestamps are unix seconds. Anything else is a bad record, and its
reason names the field, e.g. ``created: not a unix timestamp (got 'yesterday')``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, StrictBool, StrictInt
from pydantic import ValidationError as _PydanticValidationError
from pydantic_core import PydanticCustomError

_EPOCH = datetime(1970, 1, 1)
# Year 3000: a larger value is almost always milliseconds sent as seconds.
_MAX_UNIX_SECONDS = 32_503_680_000


class RecordError(ValueError):
    """A record that cannot become canonical rows; ``reason`` says why, for the quarantine."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RecordSkipped(Exception):  # noqa: N818 - an outcome, not an error
    """A record that is not one of its table's objects (a preview invoice): counted, never landed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Model(BaseModel):
    """Base of every record model: unknown fields are ignored, so newer API versions still parse."""

    model_config = ConfigDict(extra="ignore", frozen=True)


def show(value: Any, limit: int = 60) -> str:
    """A short, quoted rendering of a bad value for a reason."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _number_to_text(value: Any) -> Any:
    # Ids such as a company_id are sometimes numbers in exports; their text is the id.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("blank", "must not be empty")
    return value


def _unix_seconds(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PydanticCustomError("unix_time", "not a unix timestamp (got {got})", {"got": show(value)})
    if not 0 <= value < _MAX_UNIX_SECONDS:
        raise PydanticCustomError(
            "unix_time_range",
            "unix timestamp {got} is out of range (seconds expected, not milliseconds)",
            {"got": show(value)},
        )
    # timedelta keeps microseconds exactly; datetime.utcfromtimestamp is deprecated.
    return _EPOCH + timedelta(seconds=value)


Id = Annotated[str, BeforeValidator(_number_to_text), AfterValidator(_not_blank)]
"""An identifier: non-empty text (a JSON number is accepted as its text)."""

UnixTime = Annotated[datetime, BeforeValidator(_unix_seconds)]
"""Unix seconds (a JSON number), as a naive UTC datetime."""

Int = StrictInt
Bool = StrictBool


def metadata_json(metadata: Mapping[str, Any] | None) -> str | None:
    """An object's metadata as compact JSON text with sorted keys, so equal metadata gives equal text."""
    if metadata is None:
        return None
    try:
        return json.dumps(
            metadata, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except ValueError:
        raise RecordError("metadata: NaN or an infinite number is not JSON and cannot be stored") from None


# What a raw table's columns can hold: BIGINT and UTF-8 text.
_INT64 = (-(2**63), 2**63 - 1)


def unstorable(row: Mapping[str, Any]) -> str | None:
    """Why a parsed row cannot be stored (an integer beyond 64 bits, text that is not valid Unicode), naming
    the column; None when every value fits."""
    for column, value in row.items():
        if isinstance(value, int) and not isinstance(value, bool) and not _INT64[0] <= value <= _INT64[1]:
            return f"{column}: {show(value)} does not fit a 64-bit integer"
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as error:
                bad = error.object[error.start : error.end]
                return f"{column}: text with an unpaired surrogate ({bad!a}) is not valid Unicode"
    return None


def record_text(obj: Any) -> str:
    """The text kept in quarantine for a record that arrived as a parsed JSON value (escaped where it holds
    text that is not valid Unicode, so the quarantine can store it)."""
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False, default=str)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(obj, separators=(",", ":"), default=str)
    return text


def _location(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + item)
    return "".join(parts) or "record"


_TYPE_WORDS = {
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "a string",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
    "list_type": "a list",
}


def describe(error: _PydanticValidationError) -> str:
    """One line per failed field, joined by '; ': what is wrong, and where."""
    reasons = []
    for err in error.errors(include_url=False):
        where = _location(err["loc"])
        kind = err["type"]
        if kind == "missing":
            reasons.append(f"field '{where}' is required")
        elif err.get("input", "") is None:
            reasons.append(f"field '{where}' is required, got null")
        elif kind in _TYPE_WORDS:
            reasons.append(f"{where}: expected {_TYPE_WORDS[kind]}, got {show(err.get('input'))}")
        elif kind == "literal_error":
            expected = err.get("ctx", {}).get("expected", "")
            reasons.append(f"{where}: unknown value {show(err.get('input'))} (expected {expected})")
        else:
            reasons.append(f"{where}: {err['msg']}")
    return "; ".join(reasons)


def json_type(value: Any) -> str:
    """The JSON name of a parsed value's type, for reasons."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object" if isinstance(value, Mapping) else type(value).__name__


def validate(model: type[Model], obj: Any) -> Any:
    """Validate ``obj`` against ``model``, turning a validation failure into a RecordError."""
    if not isinstance(obj, Mapping):
        raise RecordError(f"expected a JSON object, got {json_type(obj)}")
    try:
        return model.model_validate(obj)
    except _PydanticValidationError as error:
        raise RecordError(describe(error)) from None
