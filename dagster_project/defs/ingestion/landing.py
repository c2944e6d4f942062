"""Land what a source extracted into schema ``raw``, all or nothing.

Every table is first written to a scratch table beside it; only when every
requested table has been read without error are they swapped in, with the
quarantined records and the new sync cursors, in one transaction. A source
that fails half-way therefore leaves the raw tables of the last good run as
they were. The SQL goes through a warehouse `Session`, so the same landing
serves every engine.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import pyarrow as pa

from dagster_project.sources.extract import QuarantinedRecord, TableExtract
from dagster_project.sources.raw_tables import (
    QUARANTINE_COLUMNS,
    QUARANTINE_TABLE,
    RAW_TABLES,
    DayPartition,
    RawTable,
)
from dagster_project.warehouse.engines import Session

SCHEMA = "raw"
CURSORS_TABLE = f"{SCHEMA}._sync_cursors"
# The order a record was read in, kept beside it in the scratch table: of two records with the same id
# in one pull, the one read last wins.
READ_ORDER = "_read_order"


class RecordsLostError(RuntimeError):
    """A connector read more records than it landed or quarantined."""


@dataclass
class LandingReport:
    """What one table's landing did; ``read == landed + quarantined`` must hold."""

    table: str
    mode: str
    origin: str
    read: int = 0
    landed: int = 0
    quarantined: int = 0
    rows_in_table: int = 0
    unmatched_account_records: int = 0
    cursor: str | None = None
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def reconciles(self) -> bool:
        return self.read == self.landed + self.quarantined


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
        if day and day.column.name not in session.column_names(name):
            _add_day_column(session, name, day)
    session.execute(
        f"create table if not exists {SCHEMA}.{QUARANTINE_TABLE} ({_columns_sql(QUARANTINE_COLUMNS)})"
    )
    session.execute(
        f"create table if not exists {CURSORS_TABLE} "
        "(table_name VARCHAR, cursor VARCHAR, batch_id VARCHAR, updated_at TIMESTAMP)"
    )


def _add_day_column(session: Session, name: str, day: DayPartition) -> None:
    """Give a raw table landed before it had its day column (0.3) that column, filled in."""
    session.execute(f'alter table {name} add column "{day.column.name}" {day.column.sql_type}')
    session.execute(f'update {name} set "{day.column.name}" = cast("{day.day_of}" as date)')


def stored_cursors(session: Session) -> dict[str, str]:
    """The sync cursor of every table from the last successful pull."""
    return dict(session.fetchall(f"select table_name, cursor from {CURSORS_TABLE}"))


def _scratch(table: str) -> str:
    return f"{SCHEMA}._landing_{table}"


def _stage_extract(
    session: Session,
    extract: TableExtract,
    load: dict[str, object],
) -> tuple[LandingReport, list[QuarantinedRecord]]:
    """Write one extract's rows to its scratch table; return the report and the quarantined records."""
    table = RAW_TABLES[extract.table]
    scratch = _scratch(table.name)
    # A snapshot vouching for unique ids needs no deduplication: no read order to keep (nor to drop
    # afterwards, which Spark's Parquet tables cannot).
    ordered = not _one_row_per_id(extract)
    order_column = f', "{READ_ORDER}" BIGINT' if ordered else ""
    session.execute(f"drop table if exists {scratch}")
    session.execute(f"create table {scratch} ({_columns_sql(table.stored_columns)}{order_column})")
    report = LandingReport(table=table.name, mode=extract.mode, origin=extract.origin)
    quarantined: list[QuarantinedRecord] = []
    columns = _names_sql(table.column_names)
    day = f', cast("{table.day_partition.day_of}" as date)' if table.day_partition else ""
    read_order = f', "{READ_ORDER}"' if ordered else ""
    for batch in extract.batches:
        _check_schema(table, batch.rows, extract.origin)
        if batch.rows.num_rows:
            rows = batch.rows
            if ordered:
                first = report.landed
                rows = rows.append_column(
                    READ_ORDER, pa.array(range(first, first + rows.num_rows), pa.int64())
                )
            session.load("_batch", rows)
            session.execute(
                f"insert into {scratch} select {columns}, ?, ?, ?{day}{read_order} from _batch",
                [load["_source"], load["_loaded_at"], load["_batch_id"]],
            )
        report.read += batch.read
        report.landed += batch.rows.num_rows
        report.quarantined += len(batch.quarantined)
        quarantined.extend(batch.quarantined)
    for record in quarantined:
        kind = reason_kind(record.reason)
        report.reasons[kind] = report.reasons.get(kind, 0) + 1
    report.cursor = extract.cursor
    return report, quarantined


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


def _swap_in(
    session: Session,
    extract: TableExtract,
    quarantined: list[QuarantinedRecord],
    load: dict[str, object],
) -> None:
    """Replace or merge one table from its scratch copy (inside the caller's transaction)."""
    table = RAW_TABLES[extract.table]
    target, scratch = f"{SCHEMA}.{table.name}", _scratch(table.name)
    if extract.mode == "replace":
        # A snapshot's quarantine describes that snapshot only.
        session.execute(f"delete from {SCHEMA}.{QUARANTINE_TABLE} where source_table = ?", [table.name])
    if _one_row_per_id(extract) and session.replaceable_by_rename(target):
        # Nothing to deduplicate: move the scratch table into place instead of copying it.
        session.execute(f"drop table {target}")
        session.execute(f"alter table {scratch} rename to {table.name}")
    else:
        if extract.mode == "replace":
            session.execute(f"delete from {target}")
        else:
            key = extract.merge_key or table.primary_key
            session.execute(f'delete from {target} where "{key}" in (select "{key}" from {scratch})')
        columns = _names_sql(c.name for c in table.stored_columns)
        rows = f"select {columns} from {scratch}"
        if not _one_row_per_id(extract):
            # The same id twice in one pull: the one read last is the newest.
            rows = f"""select {columns} from (
                select *, row_number() over (
                    partition by "{table.primary_key}" order by "{READ_ORDER}" desc
                ) as _rank
                from {scratch}
            ) as ranked where _rank = 1"""
        session.execute(f"insert into {target} ({columns}) {rows}")
    if quarantined:
        records = pa.Table.from_pylist(
            [{"source_table": q.source_table, "record": q.record, "reason": q.reason} for q in quarantined]
        )
        session.load("_quarantined", records)
        session.execute(
            f"insert into {SCHEMA}.{QUARANTINE_TABLE} "
            "select source_table, record, reason, ?, ?, ? from _quarantined",
            [load["_source"], load["_loaded_at"], load["_batch_id"]],
        )
    if extract.cursor is not None:
        session.execute(f"delete from {CURSORS_TABLE} where table_name = ?", [table.name])
        session.execute(
            f"insert into {CURSORS_TABLE} values (?, ?, ?, ?)",
            [table.name, extract.cursor, load["_batch_id"], load["_loaded_at"]],
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


def land(
    session: Session,
    extracts: Iterable[TableExtract],
    source: str,
    batch_id: str,
    loaded_at: datetime,
) -> dict[str, LandingReport]:
    """Land every extract; swap them all in at once, or leave ``raw`` untouched on any error."""
    ensure_raw_schema(session)
    load = {"_source": source, "_loaded_at": loaded_at, "_batch_id": batch_id}
    staged: list[tuple[TableExtract, LandingReport, list[QuarantinedRecord]]] = []
    scratch_tables: list[str] = []
    try:
        for extract in extracts:
            scratch_tables.append(_scratch(extract.table))
            report, quarantined = _stage_extract(session, extract, load)
            if not report.reconciles:
                raise RecordsLostError(
                    f"raw.{report.table} from {report.origin}: {report.read} records read but "
                    f"{report.landed} landed and {report.quarantined} quarantined; nothing was landed. "
                    "This is a connector bug: report it with the source files or endpoint."
                )
            staged.append((extract, report, quarantined))
        with session.transaction():
            for extract, _, quarantined in staged:
                _swap_in(session, extract, quarantined, load)
    finally:
        for scratch in scratch_tables:
            session.execute(f"drop table if exists {scratch}")
    reports = {}
    for extract, report, _ in staged:
        table = RAW_TABLES[extract.table]
        report.rows_in_table = session.fetchone(f"select count(*) from {SCHEMA}.{table.name}")[0]
        unmatched = unmatched_account_sql(table)
        report.unmatched_account_records = session.fetchone(unmatched)[0] if unmatched else 0
        reports[table.name] = report
    return reports
