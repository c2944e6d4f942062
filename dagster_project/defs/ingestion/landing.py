"""Land what a source extracted into schema ``raw``, all or nothing.

Every table is first written to a scratch table beside it; only when every
requested table has been read without error are they swapped in, with the
quarantined records and the new sync cursors, in one transaction. A source
that fails half-way therefore leaves the raw tables of the last good run as
they were.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import duckdb
import pyarrow as pa

from dagster_project.sources.extract import QuarantinedRecord, TableExtract
from dagster_project.sources.raw_tables import (
    LOAD_COLUMNS,
    QUARANTINE_COLUMNS,
    QUARANTINE_TABLE,
    RAW_TABLES,
    RawTable,
)

SCHEMA = "raw"
CURSORS_TABLE = f"{SCHEMA}._sync_cursors"


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


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create schema ``raw``, every raw table, the quarantine and the cursor store if missing."""
    con.execute(f"create schema if not exists {SCHEMA}")
    for table in RAW_TABLES.values():
        con.execute(
            f"create table if not exists {SCHEMA}.{table.name} ({_columns_sql(table.columns + LOAD_COLUMNS)})"
        )
    con.execute(
        f"create table if not exists {SCHEMA}.{QUARANTINE_TABLE} ({_columns_sql(QUARANTINE_COLUMNS)})"
    )
    con.execute(
        f"create table if not exists {CURSORS_TABLE} "
        "(table_name VARCHAR primary key, cursor VARCHAR, batch_id VARCHAR, updated_at TIMESTAMP)"
    )


def stored_cursors(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The sync cursor of every table from the last successful pull."""
    return dict(con.execute(f"select table_name, cursor from {CURSORS_TABLE}").fetchall())


def _scratch(table: str) -> str:
    return f"{SCHEMA}._landing_{table}"


def _stage_extract(
    con: duckdb.DuckDBPyConnection,
    extract: TableExtract,
    load: dict[str, object],
) -> tuple[LandingReport, list[QuarantinedRecord]]:
    """Write one extract's rows to its scratch table; return the report and the quarantined records."""
    table = RAW_TABLES[extract.table]
    scratch = _scratch(table.name)
    con.execute(f"create or replace table {scratch} ({_columns_sql(table.columns + LOAD_COLUMNS)})")
    report = LandingReport(table=table.name, mode=extract.mode, origin=extract.origin)
    quarantined: list[QuarantinedRecord] = []
    column_list = ", ".join(f'"{c}"' for c in table.column_names)
    for batch in extract.batches:
        _check_schema(table, batch.rows, extract.origin)
        if batch.rows.num_rows:
            con.register("_batch", batch.rows)
            con.execute(
                f"insert into {scratch} select {column_list}, ?, ?, ? from _batch",
                [load["_source"], load["_loaded_at"], load["_batch_id"]],
            )
            con.unregister("_batch")
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
    con: duckdb.DuckDBPyConnection,
    extract: TableExtract,
    quarantined: list[QuarantinedRecord],
    load: dict[str, object],
) -> None:
    """Replace or merge one table from its scratch copy (inside the caller's transaction)."""
    table = RAW_TABLES[extract.table]
    target, scratch = f"{SCHEMA}.{table.name}", _scratch(table.name)
    if extract.mode == "replace":
        # A snapshot's quarantine describes that snapshot only.
        con.execute(f"delete from {SCHEMA}.{QUARANTINE_TABLE} where source_table = ?", [table.name])
    if extract.mode == "replace" and extract.ids_unique:
        # Nothing to deduplicate: move the scratch table into place instead of copying it.
        con.execute(f"drop table {target}")
        con.execute(f"alter table {scratch} rename to {table.name}")
    else:
        if extract.mode == "replace":
            con.execute(f"delete from {target}")
        else:
            key = extract.merge_key or table.primary_key
            con.execute(f'delete from {target} where "{key}" in (select "{key}" from {scratch})')
        # The same id twice in one pull: the one read last is the newest (rowid keeps the read order).
        con.execute(
            f"""insert into {target}
            select * exclude (_rank) from (
                select *, row_number() over (partition by "{table.primary_key}" order by rowid desc) as _rank
                from {scratch}
            ) where _rank = 1"""
        )
    if quarantined:
        records = pa.Table.from_pylist(
            [{"source_table": q.source_table, "record": q.record, "reason": q.reason} for q in quarantined]
        )
        con.register("_quarantined", records)
        con.execute(
            f"insert into {SCHEMA}.{QUARANTINE_TABLE} "
            "select source_table, record, reason, ?, ?, ? from _quarantined",
            [load["_source"], load["_loaded_at"], load["_batch_id"]],
        )
        con.unregister("_quarantined")
    if extract.cursor is not None:
        con.execute(
            f"insert or replace into {CURSORS_TABLE} values (?, ?, ?, ?)",
            [table.name, extract.cursor, load["_batch_id"], load["_loaded_at"]],
        )


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
    con: duckdb.DuckDBPyConnection,
    extracts: Iterable[TableExtract],
    source: str,
    batch_id: str,
    loaded_at: datetime,
) -> dict[str, LandingReport]:
    """Land every extract; swap them all in at once, or leave ``raw`` untouched on any error."""
    ensure_raw_schema(con)
    load = {"_source": source, "_loaded_at": loaded_at, "_batch_id": batch_id}
    staged: list[tuple[TableExtract, LandingReport, list[QuarantinedRecord]]] = []
    scratch_tables: list[str] = []
    try:
        for extract in extracts:
            scratch_tables.append(_scratch(extract.table))
            report, quarantined = _stage_extract(con, extract, load)
            if not report.reconciles:
                raise RecordsLostError(
                    f"raw.{report.table} from {report.origin}: {report.read} records read but "
                    f"{report.landed} landed and {report.quarantined} quarantined; nothing was landed. "
                    "This is a connector bug: report it with the source files or endpoint."
                )
            staged.append((extract, report, quarantined))
        con.execute("begin transaction")
        try:
            for extract, _, quarantined in staged:
                _swap_in(con, extract, quarantined, load)
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
    finally:
        for scratch in scratch_tables:
            con.execute(f"drop table if exists {scratch}")
    reports = {}
    for extract, report, _ in staged:
        table = RAW_TABLES[extract.table]
        report.rows_in_table = con.execute(f"select count(*) from {SCHEMA}.{table.name}").fetchone()[0]
        unmatched = unmatched_account_sql(table)
        report.unmatched_account_records = con.execute(unmatched).fetchone()[0] if unmatched else 0
        reports[table.name] = report
    return reports
