"""High-volume data events from CSV or Parquet, validated set-wise in DuckDB, never row by row in Python.

One scan per file computes, for every row, the canonical columns and a
``reason`` (null when the row is good); Python only splits each Arrow batch on
that column. CSV lines that do not even split into the header's columns are
kept by DuckDB's reject tables and quarantined with their line number.

Columns (a header row is required for CSV; names are matched case-insensitively):
``event_name`` and ``occurred_at`` are required; ``event_id``, ``contact_id``,
``account_id`` (or ``company_id``) and ``metadata`` (a JSON object as text) are
optional; others are ignored. ``occurred_at`` is ISO-8601 (UTC unless it has an
offset) or unix seconds. A missing ``event_id`` is the same stable hash as for
JSON events; a missing ``account_id`` is the account of ``contact_id``, looked
up among the drop's contacts.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from dagster_project.sources.extract import Batch, QuarantinedRecord, SourceError
from dagster_project.sources.raw_tables import INTERCOM_EVENTS

from .layout import relative

REQUIRED = ("event_name", "occurred_at")
OPTIONAL = ("event_id", "contact_id", "account_id", "metadata")
_ALIASES = {"company_id": "account_id"}
_CSV_OPTIONS = "all_varchar = true, header = true, delim = ',', quote = '\"', escape = '\"'"
# Year 3000 in unix seconds: larger numbers are milliseconds, not seconds.
_MAX_UNIX_SECONDS = 32_503_680_000
_TIMESTAMP_TYPES = (
    "TIMESTAMP",
    "TIMESTAMP_S",
    "TIMESTAMP_MS",
    "TIMESTAMP_NS",
    "TIMESTAMP WITH TIME ZONE",
    "DATE",
)
_NUMBER_TYPES = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "FLOAT",
    "DOUBLE",
)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _scan(path: Path, fmt: str, rejects: bool) -> str:
    if fmt == "csv":
        extra = ", store_rejects = true" if rejects else ", ignore_errors = true"
        return f"read_csv({_literal(str(path))}, {_CSV_OPTIONS}{extra})"
    return f"read_parquet({_literal(str(path))})"


def _text(column: str | None, type_: str | None) -> str:
    if column is None:
        return "cast(null as varchar)"
    value = _ident(column) if type_ == "VARCHAR" else f"cast({_ident(column)} as varchar)"
    return f"nullif(trim({value}), '')"


def _unix(number: str) -> str:
    return (
        f"case when {number} >= 0 and {number} < {_MAX_UNIX_SECONDS} "
        f"then cast(to_timestamp(cast({number} as double)) as timestamp) end"
    )


def _timestamp(column: str, type_: str) -> str:
    """SQL for ``occurred_at`` as a UTC TIMESTAMP, or null when the value is not a time."""
    col = _ident(column)
    if type_ in _TIMESTAMP_TYPES:
        return f"cast({col} as timestamp)"
    if type_ in _NUMBER_TYPES or type_.startswith("DECIMAL"):
        return _unix(col)
    text = _text(column, type_)
    as_tz = f"try_cast({text} as timestamptz)"
    as_number = _unix(f"try_cast({text} as double)")
    # DuckDB reads 'epoch' and 'infinity' as timestamps; neither is an event time.
    return (
        f"case when regexp_full_match({text}, '[0-9]+([.][0-9]+)?') then {as_number} "
        f"when lower({text}) = 'epoch' then null "
        f"when isfinite({as_tz}) then cast({as_tz} as timestamp) end"
    )


def _columns(con: duckdb.DuckDBPyConnection, path: Path, fmt: str, root: Path) -> dict[str, tuple[str, str]]:
    """Canonical column name -> (the file's column name, its DuckDB type)."""
    try:
        described = con.sql(f"describe select * from {_scan(path, fmt, rejects=False)}").fetchall()
    except duckdb.Error as error:
        kind = "CSV (UTF-8, comma-separated, with a header row)" if fmt == "csv" else "Parquet"
        raise SourceError(
            f"files source: {relative(path, root)} is not a readable {kind} file: "
            f"{str(error).splitlines()[0]}; re-export it (see docs/files_source.md)"
        ) from error
    found: dict[str, tuple[str, str]] = {}
    for name, type_, *_ in described:
        canonical = _ALIASES.get(name.strip().lower(), name.strip().lower())
        if canonical in REQUIRED + OPTIONAL and canonical not in found:
            found[canonical] = (name, type_)
    missing = [c for c in REQUIRED if c not in found]
    if missing:
        raise SourceError(
            f"files source: {relative(path, root)} has no column {', '.join(missing)}; data event files need "
            "the columns event_name and occurred_at, and may have event_id, contact_id, account_id "
            "(or company_id) and metadata (see docs/files_source.md)"
        )
    return found


def _query(path: Path, fmt: str, columns: Mapping[str, tuple[str, str]]) -> str:
    def text(name: str) -> str:
        return _text(*columns[name]) if name in columns else _text(None, None)

    occurred = _timestamp(*columns["occurred_at"])
    sep = "chr(31)"
    return f"""
with src as (
    select * from {_scan(path, fmt, rejects=True)}
),

-- Canonical values, still unchecked; the original row is kept for the quarantine.
parsed as (
    select
        {text("event_id")} as event_id,
        {text("event_name")} as event_name,
        {text("occurred_at")} as occurred_at_text,
        {occurred} as occurred_at,
        {text("contact_id")} as contact_id,
        {text("account_id")} as account_id,
        {text("metadata")} as metadata,
        src as original
    from src
),

-- Every rule a row breaks, joined by '; '; null for a good row.
checked as (
    select
        *,
        nullif(concat_ws('; ',
            case when event_name is null then 'field ''event_name'' is required' end,
            case
                when occurred_at_text is null then 'field ''occurred_at'' is required'
                when occurred_at is null then
                    'occurred_at: not an ISO-8601 timestamp or unix seconds (got '''
                    || left(occurred_at_text, 40) || ''')'
            end,
            case
                when metadata is null then null
                when not coalesce(json_valid(metadata), false) then 'metadata: not valid JSON'
                when json_type(metadata) <> 'OBJECT' then 'metadata: expected a JSON object'
            end
        ), '') as reason
    from parsed
)

select
    coalesce(
        c.event_id,
        'evh_' || md5(concat_ws({sep}, c.event_name, cast(epoch_us(c.occurred_at) as varchar),
                                coalesce(c.contact_id, ''), coalesce(c.metadata, '')))
    ) as event_id,
    c.event_name,
    c.occurred_at,
    c.contact_id,
    coalesce(c.account_id, d.account_id) as account_id,
    c.metadata,
    c.reason as _reason,
    case when c.reason is not null then to_json(c.original) end as _record
from checked as c
left join contact_accounts as d
    on c.account_id is null and d.contact_id = c.contact_id
"""


def read_event_file(
    path: Path,
    fmt: str,
    root: Path,
    contact_accounts: Mapping[str, str | None],
    batch_size: int,
) -> Iterator[Batch]:
    """Batches of canonical events and quarantined rows from one CSV or Parquet file."""
    name = relative(path, root)
    if path.stat().st_size == 0:
        return
    con = duckdb.connect()
    try:
        con.sql("set TimeZone = 'UTC'")
        lookup = pa.table(
            {
                "contact_id": pa.array(list(contact_accounts), pa.string()),
                "account_id": pa.array(list(contact_accounts.values()), pa.string()),
            }
        )
        con.register("contact_accounts", lookup)
        columns = _columns(con, path, fmt, root)
        schema = INTERCOM_EVENTS.arrow_schema
        try:
            reader = con.sql(_query(path, fmt, columns)).to_arrow_reader(batch_size)
            for record_batch in reader:
                good = pc.is_null(record_batch.column("_reason"))
                rows = pa.Table.from_batches([record_batch.filter(good)]).select(schema.names).cast(schema)
                bad = record_batch.filter(pc.invert(good))
                quarantined = [
                    QuarantinedRecord(INTERCOM_EVENTS.name, record, f"{name}: {reason}")
                    for record, reason in zip(
                        bad.column("_record").to_pylist(), bad.column("_reason").to_pylist(), strict=True
                    )
                ]
                if rows.num_rows or quarantined:
                    yield Batch(rows, quarantined)
        except duckdb.Error as error:
            raise SourceError(
                f"files source: reading {name} failed: {str(error).splitlines()[0]}; "
                "check that the file is complete and in the documented format (docs/files_source.md)"
            ) from error
        if fmt == "csv":
            rejected = _rejected_lines(con, name)
            if rejected:
                yield Batch(INTERCOM_EVENTS.empty(), rejected)
    finally:
        con.close()


def _rejected_lines(con: duckdb.DuckDBPyConnection, name: str) -> list[QuarantinedRecord]:
    """CSV lines DuckDB could not split into the header's columns, one record per line."""
    rows = con.sql(
        """
        select
            line,
            any_value(csv_line) as csv_line,
            string_agg(distinct error_message, '; ' order by error_message) as messages,
            bool_or(error_type = 'INVALID ENCODING') as bad_encoding
        from reject_errors
        group by line
        order by line
        """
    ).fetchall()
    for line, _, _, bad_encoding in rows:
        if bad_encoding:
            raise SourceError(
                f"files source: {name} is not valid UTF-8 text (line {line}); re-export it as UTF-8 CSV"
            )
    return [
        QuarantinedRecord(INTERCOM_EVENTS.name, csv_line or "", f"{name} line {line}: {messages}")
        for line, csv_line, messages, _ in rows
    ]
