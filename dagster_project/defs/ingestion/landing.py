"""Land what a source extracted into schema ``raw``, all or nothing.

Every table is first written to a scratch table beside it; only when every
requested table has been read without error are they swapped in, with the
quarantined records and the new sync cursors, in one transaction. A source
that fails half-way therefore leaves the raw tables of the last good run as
they were. The SQL goes through a warehouse `Session`, so the same landing
serves every engine.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc

from dagster_project.sources.extract import Batch, QuarantinedRecord, TableExtract
from dagster_project.sources.raw_tables import (
    QUARANTINE_COLUMNS,
    QUARANTINE_TABLE,
    RAW_TABLES,
    SUPERSEDED_TABLE,
    RawTable,
)
from dagster_project.warehouse.engines import Session

SCHEMA = "raw"
CURSORS_TABLE = f"{SCHEMA}._sync_cursors"
# The order a record was read in, kept beside it in the scratch table: of two records with the same id
# in one pull, the newer wins (the later updated_at, else the one read last).
READ_ORDER = "_read_order"


class RecordsLostError(RuntimeError):
    """A connector read more records than it landed or quarantined."""


class SnapshotShrinkError(RuntimeError):
    """A full snapshot far smaller than the table it would replace: refused, nothing landed."""


# A snapshot may hold this share fewer rows than the table it replaces (HEALTH_SNAPSHOT_MAX_SHRINK).
DEFAULT_MAX_SHRINK = 0.5


@dataclass
class LandingReport:
    """What one table's landing did; ``read == landed + unchanged + superseded + quarantined + skipped``.

    ``landed`` counts the rows written (every row of a snapshot; the new or changed rows of an upsert);
    ``unchanged`` the rows an upsert read again exactly as stored (a look-back re-reading what it has);
    ``superseded`` the older copies of an object read twice in one pull; ``skipped`` the records that
    were not objects of the table (a preview invoice), by reason.
    """

    table: str
    mode: str
    origin: str
    read: int = 0
    landed: int = 0
    unchanged: int = 0
    superseded: int = 0
    quarantined: int = 0
    seconds: float = 0.0
    rows_in_table: int = 0
    unmatched_account_records: int = 0
    cursor: str | None = None
    reasons: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def reconciles(self) -> bool:
        accounted = self.landed + self.unchanged + self.superseded + self.quarantined
        return self.read == accounted + sum(self.skipped.values())


def _columns_sql(columns) -> str:
    return ", ".join(f'"{c.name}" {c.sql_type}' for c in columns)


def _names_sql(names: Iterable[str]) -> str:
    return ", ".join(f'"{name}"' for name in names)


def ensure_raw_schema(session: Session) -> None:
    """Create schema ``raw``, every raw table, the quarantine and the cursor store if missing."""
    session.execute(f"create schema if not exists {SCHEMA}")
    for table in RAW_TABLES.values():
        name, day = f"{SCHEMA}.{table.name}", table.day_partition
        partition = day.column.name if day else None
        session.create_table(name, _columns_sql(table.stored_columns), partitioned_by=partition, lake=True)
        _add_missing_columns(session, name, table)
    for kept_aside in (QUARANTINE_TABLE, SUPERSEDED_TABLE):
        session.execute(
            f"create table if not exists {SCHEMA}.{kept_aside} ({_columns_sql(QUARANTINE_COLUMNS)})"
        )
    session.execute(
        f"create table if not exists {CURSORS_TABLE} "
        "(table_name VARCHAR, cursor VARCHAR, batch_id VARCHAR, updated_at TIMESTAMP)"
    )


def _add_missing_columns(session: Session, name: str, table: RawTable) -> None:
    """Give a raw table landed by an older version the contract's newer columns: null where the source
    never said (a customer's ``deleted``, a line's discounts), the day column filled from its timestamp."""
    present = set(session.column_names(name))
    for column in table.stored_columns:
        if column.name in present:
            continue
        session.execute(f'alter table {name} add column "{column.name}" {column.sql_type}')
        day = table.day_partition
        if day and column.name == day.column.name:
            session.execute(f'update {name} set "{column.name}" = cast("{day.day_of}" as date)')


def stored_cursors(session: Session) -> dict[str, str]:
    """The sync cursor of every table from the last successful pull."""
    return dict(session.fetchall(f"select table_name, cursor from {CURSORS_TABLE}"))


def _scratch(table: str, part: str = "") -> str:
    """The scratch tables of one table's landing: the rows as read, ``rows`` (one per object) and
    ``keys`` (what an upsert changes)."""
    return f"{SCHEMA}._landing_{table}{'_' + part if part else ''}"


@dataclass
class _Staged:
    """One extract written to its scratch tables, waiting to be swapped in."""

    extract: TableExtract
    report: LandingReport
    quarantined: list[QuarantinedRecord]
    superseded: list[QuarantinedRecord]


def _stage_extract(session: Session, extract: TableExtract, load: dict[str, object]) -> _Staged:
    """Write one extract's rows to its scratch tables; its report, quarantined and superseded records."""
    started = time.monotonic()
    table = RAW_TABLES[extract.table]
    scratch = _scratch(table.name)
    # A source vouching for unique ids needs no deduplication: no read order to keep (nor to drop
    # afterwards, which Spark's Parquet tables cannot).
    ordered = not extract.ids_unique
    order_column = f', "{READ_ORDER}" BIGINT' if ordered else ""
    session.execute(f"drop table if exists {scratch}")
    session.execute(f"create table {scratch} ({_columns_sql(table.stored_columns)}{order_column})")
    report = LandingReport(table=table.name, mode=extract.mode, origin=extract.origin)
    quarantined: list[QuarantinedRecord] = []
    columns = _names_sql(table.column_names)
    day = f', cast("{table.day_partition.day_of}" as date)' if table.day_partition else ""
    read_order = f', "{READ_ORDER}"' if ordered else ""
    staged = next_order = 0
    for batch in extract.batches:
        _check_schema(table, batch.rows, extract.origin)
        if batch.rows.num_rows:
            rows = batch.rows
            if ordered:
                order, next_order = _read_order(batch, next_order, table)
                rows = rows.append_column(READ_ORDER, order)
            session.load("_batch", rows)
            session.execute(
                f"insert into {scratch} select {columns}, ?, ?, ?{day}{read_order} from _batch",
                [load["_source"], load["_loaded_at"], load["_batch_id"]],
            )
        report.read += batch.read
        staged += batch.rows.num_rows
        report.quarantined += len(batch.quarantined)
        quarantined.extend(batch.quarantined)
        for reason, n in batch.skipped.items():
            report.skipped[reason] = report.skipped.get(reason, 0) + n
    for record in quarantined:
        kind = reason_kind(record.reason)
        report.reasons[kind] = report.reasons.get(kind, 0) + 1
    report.cursor = extract.cursor
    superseded: list[QuarantinedRecord] = []
    _settle(session, extract, staged, report, superseded)
    report.seconds = time.monotonic() - started
    return _Staged(extract, report, quarantined, superseded)


def _read_order(batch: Batch, start: int, table: RawTable) -> tuple[pa.Array, int]:
    """The batch's read order, continuing from ``start`` (rows of one record share their number).

    A batch that does not say: its rows in order, except parts (items, lines), whose batch then counts
    as one sighting of each parent in it, so no part of a parent is mistaken for an older copy's."""
    n = batch.rows.num_rows
    if batch.read_order is None or len(batch.read_order) != n:
        if table.parent_key:
            return pa.array([start] * n, pa.int64()), start + 1
        return pa.array(range(start, start + n), pa.int64()), start + n
    first = pc.min(batch.read_order).as_py()
    order = pc.add(pc.subtract(batch.read_order, first), start)
    return order, pc.max(order).as_py() + 1


def _settle(
    session: Session,
    extract: TableExtract,
    staged: int,
    report: LandingReport,
    superseded: list[QuarantinedRecord],
) -> None:
    """Keep one row per object (the newest copy) and, for an upsert, find what differs from the table.

    Fills ``landed``, ``unchanged`` and ``superseded`` (and the superseded copies themselves). The rows
    to write end up in ``_rows_of(extract)`` and, for an upsert, the keys whose stored rows they replace
    in ``keys``.
    """
    table = RAW_TABLES[extract.table]
    if _one_row_per_id(extract):
        report.landed = staged
        return
    scratch, rows = _scratch(table.name), _rows_of(extract)
    kept = staged
    if not extract.ids_unique:
        stored = _names_sql(c.name for c in table.stored_columns)
        session.execute(f"drop table if exists {rows}")
        session.execute(f"create table {rows} ({_columns_sql(table.stored_columns)})")
        session.execute(f"insert into {rows} ({stored}) {_copies_sql(table, scratch)}")
        kept = session.fetchone(f"select count(*) from {rows}")[0]
    report.superseded = staged - kept
    report.landed = kept
    if report.superseded:
        superseded.extend(_superseded_records(session, table, scratch))
    if extract.mode == "upsert":
        keys = _scratch(table.name, "keys")
        session.execute(f"drop table if exists {keys}")
        session.execute(f"create table {keys} (key VARCHAR)")
        session.execute(f"insert into {keys} {_changed_keys_sql(table, rows)}")
        key = _merge_key(table)
        report.landed = session.fetchone(
            f'select count(*) from {rows} where "{key}" in (select key from {keys})'
        )[0]
        report.unchanged = kept - report.landed


def _rows_of(extract: TableExtract) -> str:
    """The scratch table of one row per object: the rows as read when the source vouches for unique ids
    (the demo's), else their deduplicated copy (``rows``)."""
    return _scratch(extract.table) if extract.ids_unique else _scratch(extract.table, "rows")


def _merge_key(table: RawTable) -> str:
    """The column an upsert replaces stored rows by: the parent's id for parts, else the primary key."""
    return table.parent_key or table.primary_key


def _copies_sql(table: RawTable, scratch: str, newest: bool = True) -> str:
    """The rows of ``scratch`` that win (``newest``), or those that lose (the superseded copies): one row
    per primary key, the latest ``updated_at`` where the table has one, else the copy read last; parts
    only from the latest sighting of their parent, so a parent read twice keeps the items of its newer
    copy only."""
    stored = _names_sql(c.name for c in table.stored_columns)
    by_update = '"updated_at" desc nulls last, ' if "updated_at" in table.column_names else ""
    latest_parent = (
        f', max("{READ_ORDER}") over (partition by "{table.parent_key}") as _parent_sighting'
        if table.parent_key
        else ""
    )
    wins = f'_rank = 1 and "{READ_ORDER}" = _parent_sighting' if table.parent_key else "_rank = 1"
    return f"""select {stored} from (
        select *, row_number() over (
            partition by "{table.primary_key}" order by {by_update}"{READ_ORDER}" desc
        ) as _rank{latest_parent}
        from {scratch}
    ) as ranked where {wins if newest else f"not ({wins})"}"""


def _superseded_records(session: Session, table: RawTable, scratch: str) -> list[QuarantinedRecord]:
    """The superseded copies, each as its row's JSON text with the reason it lost, to keep beside the
    quarantine (``raw.superseded``)."""
    contract = _names_sql(table.column_names)
    copies = session.fetch_arrow(
        f"select {contract} from ({_copies_sql(table, scratch, newest=False)}) as lost"
    )
    key = table.primary_key
    newer = "a later updated_at" if "updated_at" in table.column_names else "read later"
    return [
        QuarantinedRecord(
            table.name,
            json.dumps(row, default=str, ensure_ascii=False),
            f"superseded: another copy of {key} {row[key]} in the same load won ({newer})",
        )
        for row in copies.to_pylist()
    ]


def _changed_keys_sql(table: RawTable, rows: str) -> str:
    """The merge keys whose rows in ``rows`` differ from the stored ones (new, changed, or, for parts,
    a part added or gone): what an upsert must rewrite. Load columns do not count as a difference."""
    target, key = f"{SCHEMA}.{table.name}", _merge_key(table)
    contract = _names_sql(table.column_names)
    read = f"select {contract} from {rows}"
    stored = f'select {contract} from {target} where "{key}" in (select "{key}" from {rows})'
    new_or_changed = f'select "{key}" as key from ({read} except {stored}) as differing'
    if not table.parent_key:
        return new_or_changed
    gone = f'select "{key}" as key from ({stored} except {read}) as missing'
    return f"{new_or_changed} union {gone}"


_LOCATION = re.compile(r"^(?:\S+\.(?:jsonl|json|csv|parquet)(?: line \d+)?: |line \d+: )")


def reason_kind(reason: str) -> str:
    """What went wrong, without where: ``line 6: created: not a unix timestamp`` gives ``created``."""
    return _LOCATION.sub("", reason).split(":")[0].strip()


def _check_schema(table: RawTable, rows: pa.Table, origin: str) -> None:
    if rows.schema.names != table.column_names:
        raise ValueError(
            f"{origin or 'source'} gave columns {rows.schema.names} for raw.{table.name}; "
            f"the contract (sources/raw_tables.py) says {table.column_names}"
        )


def _swap_in(session: Session, staged: _Staged) -> None:
    """Replace or merge one table from its scratch tables (inside the caller's transaction)."""
    extract = staged.extract
    table = RAW_TABLES[extract.table]
    target = f"{SCHEMA}.{table.name}"
    columns = _names_sql(c.name for c in table.stored_columns)
    if not _one_row_per_id(extract):
        rows = _rows_of(extract)
        if extract.mode == "replace":
            session.overwrite(target, columns, f"select {columns} from {rows}")
        else:
            key, keys = _merge_key(table), _scratch(table.name, "keys")
            session.execute(f'delete from {target} where "{key}" in (select key from {keys})')
            session.execute(
                f"insert into {target} ({columns}) select {columns} from {rows} "
                f'where "{key}" in (select key from {keys})'
            )
    elif session.replaceable_by_rename(target):
        # Nothing to deduplicate: move the scratch table into place instead of copying it.
        session.execute(f"drop table {target}")
        session.execute(f"alter table {_scratch(table.name)} rename to {table.name}")
    else:
        session.overwrite(target, columns, f"select {columns} from {_scratch(table.name)}")


def _record_loads(session: Session, staged: list[_Staged], load: dict[str, object]) -> None:
    """The load's records set aside, and each table's cursor and last load (inside the caller's
    transaction). One statement per bookkeeping table for the whole load, not one per raw table: on
    Spark every delete rewrites a table's files."""
    replaced = [one.extract.table for one in staged if one.extract.mode == "replace"]
    for kept_aside, records in (
        (QUARANTINE_TABLE, [r for one in staged for r in one.quarantined]),
        (SUPERSEDED_TABLE, [r for one in staged for r in one.superseded]),
    ):
        # A snapshot's quarantine and superseded copies describe that snapshot only.
        if replaced:
            session.execute(
                f"delete from {SCHEMA}.{kept_aside} where source_table in ({_placeholders(replaced)})",
                replaced,
            )
        if records:
            _keep_aside(session, kept_aside, records, load)
    # The table's last load is recorded whether or not the source gave a cursor (a full pull without one
    # keeps the cursor it had): the daily checks and tests read the rows of that load.
    kept = stored_cursors(session)
    names = [one.extract.table for one in staged]
    session.execute(f"delete from {CURSORS_TABLE} where table_name in ({_placeholders(names)})", names)
    cursors = pa.table(
        {
            "table_name": pa.array(names, pa.string()),
            "cursor": pa.array(
                [
                    one.extract.cursor if one.extract.cursor is not None else kept.get(one.extract.table)
                    for one in staged
                ],
                pa.string(),
            ),
        }
    )
    session.load("_cursors", cursors)
    session.execute(
        f"insert into {CURSORS_TABLE} select table_name, cursor, ?, ? from _cursors",
        [load["_batch_id"], load["_loaded_at"]],
    )


def _placeholders(values: list) -> str:
    return ", ".join("?" for _ in values)


def _keep_aside(
    session: Session, table: str, records: list[QuarantinedRecord], load: dict[str, object]
) -> None:
    """Append records set aside (quarantined, superseded) to ``raw.<table>`` with the load's metadata."""
    rows = pa.Table.from_pylist(
        [{"source_table": r.source_table, "record": r.record, "reason": r.reason} for r in records]
    )
    session.load("_set_aside", rows)
    session.execute(
        f"insert into {SCHEMA}.{table} select source_table, record, reason, ?, ?, ? from _set_aside",
        [load["_source"], load["_loaded_at"], load["_batch_id"]],
    )


def _one_row_per_id(extract: TableExtract) -> bool:
    """A whole snapshot whose ids the source vouches are unique replaces its table as it was staged:
    moved into place where the engine can (or copied, into Spark's lake)."""
    return extract.mode == "replace" and extract.ids_unique


def unmatched_account_sql(table: RawTable) -> str | None:
    """SQL counting the table's rows that belong to no billing customer's account, if it has an account."""
    customers = f"{SCHEMA}.stripe_customers"
    if table.name == "stripe_customers" or table.account_column is None:
        return None
    if "customer_id" in table.column_names:
        return (
            f"select count(*) from {SCHEMA}.{table.name} "
            f"where customer_id not in (select customer_id from {customers})"
        )
    return (
        f"select count(*) from {SCHEMA}.{table.name} where {table.account_column} is null "
        f"or {table.account_column} not in (select account_id from {customers})"
    )


def _check_shrink(session: Session, one: _Staged, max_shrink: float) -> None:
    """SnapshotShrinkError when a full snapshot would replace a table with ``max_shrink`` of its rows
    or more gone: an empty or truncated export, a folder that vanished, an API answering half a list."""
    table = RAW_TABLES[one.extract.table]
    stored = session.fetchone(f"select count(*) from {SCHEMA}.{table.name}")[0]
    incoming = one.report.landed
    if stored and incoming < stored * (1 - max_shrink):
        raise SnapshotShrinkError(
            f"raw.{table.name} from {one.extract.origin or 'the source'}: the snapshot has {incoming:,} rows "
            f"where the table has {stored:,} ({1 - incoming / stored:.0%} fewer, more than "
            f"HEALTH_SNAPSHOT_MAX_SHRINK={max_shrink:g} allows); nothing was landed. Check the export; "
            f"if the book really shrank, run once with HEALTH_SNAPSHOT_MAX_SHRINK=1."
        )


def land(
    session: Session,
    extracts: Iterable[TableExtract],
    source: str,
    batch_id: str,
    loaded_at: datetime,
    max_shrink: float | None = None,
) -> dict[str, LandingReport]:
    """Land every extract; swap them all in at once, or leave ``raw`` untouched on any error.

    With ``max_shrink``, a full snapshot that would leave a table with fewer than ``1 - max_shrink`` of
    its rows is refused (SnapshotShrinkError) before anything is swapped in.
    """
    ensure_raw_schema(session)
    load = {"_source": source, "_loaded_at": loaded_at, "_batch_id": batch_id}
    staged: list[_Staged] = []
    scratch_tables: list[str] = []
    try:
        for extract in extracts:
            scratch_tables.extend(_scratch(extract.table, part) for part in ("", "rows", "keys"))
            one = _stage_extract(session, extract, load)
            report = one.report
            if not report.reconciles:
                raise RecordsLostError(
                    f"raw.{report.table} from {report.origin}: {report.read} records read but "
                    f"{report.landed} landed, {report.unchanged} unchanged, {report.superseded} "
                    f"superseded, {report.quarantined} quarantined and {sum(report.skipped.values())} "
                    "skipped; nothing was landed. "
                    "This is a connector bug: report it with the source files or endpoint."
                )
            if max_shrink is not None and extract.mode == "replace":
                _check_shrink(session, one, max_shrink)
            staged.append(one)
        with session.transaction():
            for one in staged:
                _swap_in(session, one)
            if staged:
                _record_loads(session, staged, load)
    finally:
        for scratch in scratch_tables:
            session.execute(f"drop table if exists {scratch}")
    reports = {}
    for one in staged:
        report, table = one.report, RAW_TABLES[one.extract.table]
        report.rows_in_table = session.fetchone(f"select count(*) from {SCHEMA}.{table.name}")[0]
        unmatched = unmatched_account_sql(table)
        report.unmatched_account_records = session.fetchone(unmatched)[0] if unmatched else 0
        reports[table.name] = report
    return reports
