"""Write a consistent copy of the published tables for BI tools, then swap it in atomically.

Layout of the publish folder (``HEALTH_PUBLISH_DIR``, default ``data/published``)::

    health.duckdb        every table of schema marts, one DuckDB file
    parquet/             a link to the current parquet-<id>/ folder:
        <table>.parquet              a table without a date column
        <table>/<YYYY-MM>.parquet    a table dated by as_of_date (or else date, as mrr_daily), of
                                     type date: a file per month of it
    manifest.json        when, from which run and as of which day; the tables and their rows, and a
                         fingerprint of each month of each dated table

How it stays safe for readers:

- ``health.duckdb`` is built as a new temporary file in the same folder and
  renamed over the old one (``os.replace``, atomic on one file system). A BI
  process that has the old file open keeps reading it, undisturbed, and is
  never blocked: the job never writes to a file a reader holds. The next
  connection opens the new copy.
- The Parquet files are written into a new ``parquet-<id>/`` folder, and the
  ``parquet`` link is then pointed at it in one rename, so a reader of
  ``parquet/`` sees yesterday's set or today's, never a mix. The previous
  folder is kept (a reader may be in the middle of it); older ones are removed.
- Anything that fails before the renames leaves the published copy as it was;
  the temporary files are removed.

How it stays fast as history grows: a daily run changes the last days of the
history tables, not the years before them. The new copy starts from a byte copy
of the previous ``health.duckdb``; tables without dates, and tables whose
columns changed, are copied whole. For a dated table the copy needs to know
which days changed since the last copy:

- **From the log of rewritten days** (`warehouse.rewritten_days`), when the
  warehouse keeps one and it goes on from the position the last copy recorded:
  a table whose every write since then replaced a window of days gets exactly
  those days deleted and copied again, and the Parquet files of the months they
  fall in written again; nothing else of its history is read but its dates
  (each month's rows are counted against what the last copy recorded). A table
  written whole since (or a month whose count differs) falls back to:
- **Fingerprints:** each month of the table is fingerprinted (its rows and a
  hash of them) in the warehouse, and the months whose fingerprint changed are
  deleted and copied again.

An unchanged month's Parquet file is hard-linked from the previous folder. The
copied months are fingerprinted again in the copy (a copy that differs, say
edited by hand, is copied whole) and every table's rows counted against the
warehouse: a copy that does not reconcile is not published. dbt run by hand on
the warehouse is not in the log: after one, delete ``manifest.json`` from the
publish folder, and the next copy is made whole.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from dagster_project.warehouse.rewritten_days import (
    LOG_TABLE,
    LogPosition,
    Rewrite,
    last_position,
    rewrites_since,
    windowed_tables,
)

DATABASE = "health.duckdb"
PARQUET_LINK = "parquet"
MANIFEST = "manifest.json"
KEEP_PARQUET_FOLDERS = 2
# A dated table's date column, the first of these of type date: its rows are published month by month.
DATED = ("as_of_date", "date")
# The month of the rows of a dated table without a date.
NO_MONTH = "none"

# month -> fingerprint ("<rows>:<sum of row hashes>"), per dated table
Fingerprints = dict[str, dict[str, str]]


@dataclass(frozen=True)
class PublishedCopy:
    """What was published: where, the tables with their rows, and the as-of date of the current tables.

    ``months_copied`` lists, per dated table, the months copied in this run (all of them on a first
    publish; the changed ones after that)."""

    folder: Path
    tables: dict[str, int]
    as_of_date: str | None
    published_at: str
    run_id: str | None = None
    parquet_folder: Path | None = field(default=None)
    months: Fingerprints = field(default_factory=dict)
    months_copied: dict[str, list[str]] = field(default_factory=dict)
    log: LogPosition | None = None

    @property
    def database(self) -> Path:
        return self.folder / DATABASE


@dataclass(frozen=True)
class _Previous:
    """The copy published before, to start from: its database, Parquet folder and month fingerprints,
    and how far the warehouse's log of rewritten days was when it was made."""

    database: Path
    parquet: Path
    months: Fingerprints
    log: LogPosition | None = None


def publish_copy(
    warehouse: Path,
    folder: Path,
    run_id: str | None = None,
    schema: str = "marts",
    memory_limit: str | None = None,
) -> PublishedCopy:
    """Copy every table of ``schema`` from the ``warehouse`` file into ``folder`` (see the module doc).
    ``memory_limit`` is DuckDB's for the copy (the warehouse's setting): past it, DuckDB spills."""
    folder.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex[:12]
    temporary = folder / f".{DATABASE}.{token}.tmp"
    parquet = folder / f"parquet-{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{token}"
    link = folder / PARQUET_LINK
    new_link = folder / f".{PARQUET_LINK}.{token}.tmp"
    if link.exists() and not link.is_symlink():
        raise RuntimeError(f"{link} is a folder, not the link this job maintains: move it away and re-run")
    try:
        written = _write_copy(warehouse, temporary, parquet, schema, _previous_copy(folder), memory_limit)
        copy = PublishedCopy(
            folder=folder,
            published_at=datetime.now(UTC).isoformat(timespec="seconds"),
            run_id=run_id,
            parquet_folder=parquet,
            **written,
        )
        manifest = folder / f".{MANIFEST}.{token}.tmp"
        manifest.write_text(json.dumps(_manifest(copy), indent=2) + "\n")
        new_link.symlink_to(parquet.name, target_is_directory=True)
        # Everything is in place: three renames, nothing left that can fail half-way in between.
        os.replace(temporary, folder / DATABASE)
        os.replace(new_link, link)
        os.replace(manifest, folder / MANIFEST)
    except BaseException:
        temporary.unlink(missing_ok=True)
        new_link.unlink(missing_ok=True)
        (folder / f".{MANIFEST}.{token}.tmp").unlink(missing_ok=True)
        if parquet.exists() and (folder / PARQUET_LINK).resolve() != parquet.resolve():
            shutil.rmtree(parquet, ignore_errors=True)
        raise
    _remove_old_parquet(folder)
    return copy


def _previous_copy(folder: Path) -> _Previous | None:
    """The current copy, if it is complete and says what its months hold; else None (copy everything)."""
    database, parquet, manifest = folder / DATABASE, folder / PARQUET_LINK, folder / MANIFEST
    if not (database.is_file() and parquet.is_dir() and manifest.is_file()):
        return None
    try:
        recorded = json.loads(manifest.read_text())
    except (OSError, ValueError):
        return None
    months, log = recorded.get("months"), recorded.get("rewrite_log")
    if not isinstance(months, dict):
        return None
    try:
        position = LogPosition(int(log["position"]), str(log["entry_id"])) if log else None
    except (KeyError, TypeError, ValueError):
        position = None
    return _Previous(database=database, parquet=parquet.resolve(), months=months, log=position)


def _write_copy(
    warehouse: Path,
    database: Path,
    parquet: Path,
    schema: str,
    previous: _Previous | None,
    memory_limit: str | None,
) -> dict:
    parquet.mkdir()
    if previous is not None:
        shutil.copyfile(previous.database, database)
    tables: dict[str, int] = {}
    months: Fingerprints = {}
    months_copied: dict[str, list[str]] = {}
    config = {"memory_limit": memory_limit} if memory_limit else {}
    with duckdb.connect(str(database), config=config) as con:
        con.execute(f"attach '{warehouse}' as source (read_only)")
        names = _table_names(con, "source", schema)
        if not names:
            raise RuntimeError(f"{warehouse} has no tables in schema {schema}: nothing to publish")
        log = RewriteLog.read(con, previous.log if previous is not None else None)
        con.execute(f"create schema if not exists {schema}")
        for stale in sorted(set(_table_names(con, _database_name(con), schema)) - set(names)):
            con.execute(f'drop table {schema}."{stale}"')
        for name in names:
            source, copy = f'source.{schema}."{name}"', f'{schema}."{name}"'
            columns = _columns(con, "source", schema, name)
            dated = _dated_column(columns)
            if dated is None:
                con.execute(f"create or replace table {copy} as select * from {source}")
                con.execute(f"copy {copy} to '{parquet / (name + '.parquet')}' (format parquet)")
            else:
                kept = previous.months.get(name, {}) if previous is not None else {}
                windows = log.windows_since(f"{schema}.{name}") if log is not None and kept else None
                copied = None
                if windows is not None:
                    copied = _copy_rewritten_days(con, schema, name, columns, dated, kept, windows)
                if copied is None:
                    copied = _copy_changed_months(con, schema, name, columns, dated, kept)
                months[name], months_copied[name] = copied
                _write_months(con, copy, dated, parquet / name, months[name], months_copied[name], previous)
            tables[name] = _reconciled_rows(con, source, copy)
        as_of_date = None
        if "customer_health" in names:
            day = con.execute(f"select max(as_of_date) from {schema}.customer_health").fetchone()[0]
            as_of_date = None if day is None else str(day)
        con.execute("detach source")
        con.execute("checkpoint")
    return {
        "tables": tables,
        "as_of_date": as_of_date,
        "months": months,
        "months_copied": months_copied,
        "log": log.position if log is not None else None,
    }


@dataclass(frozen=True)
class RewriteLog:
    """The warehouse's log of rewritten days (`warehouse.rewritten_days`) as the copy reads it: its last
    position, and the lines after the position the previous copy recorded, when the log goes on from
    there (the same warehouse, not one built again since)."""

    position: LogPosition | None
    since: list[Rewrite] | None
    windowed_tables: frozenset[str]

    @classmethod
    def read(cls, con: duckdb.DuckDBPyConnection, previous: LogPosition | None) -> RewriteLog | None:
        schema, table = LOG_TABLE.split(".")
        if table not in _table_names(con, "source", schema):
            return None

        def fetch(sql: str, params: list) -> list[tuple]:
            return con.execute(sql, params).fetchall()

        log = f"source.{LOG_TABLE}"
        since = rewrites_since(fetch, previous, log) if previous is not None else None
        return cls(last_position(fetch, log), since, windowed_tables(fetch, log))

    def windows_since(self, table: str) -> list[tuple[date, date]] | None:
        """The windows of days ``table``'s writes replaced since the previous copy; None when that is not
        known: the log does not go on from the previous copy, the table is not written by windows of
        days, or it was written whole since."""
        table = table.lower().replace('"', "")
        if self.since is None or table not in self.windowed_tables:
            return None
        windows = []
        for rewrite in self.since:
            if rewrite.table != table:
                continue
            if rewrite.whole:
                return None
            windows.append((rewrite.first_day, rewrite.end_day))
        return windows


def _copy_rewritten_days(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    name: str,
    columns: list[tuple[str, str]],
    dated: str,
    kept: dict[str, str],
    windows: list[tuple[date, date]],
) -> tuple[dict[str, str], list[str]] | None:
    """Replace the ``windows`` of days in the dated table's copy with the warehouse's rows. Reads the
    warehouse's rows of those days, and of the rest of the history its dates alone: every month outside
    the windows must hold as many rows as the previous copy recorded. Returns the fingerprints and the
    months copied (those the windows fall in), or None when the copy cannot be brought level this way
    (its columns changed, a month outside the windows changed, or the copied months do not match)."""
    source, copy = f'source.{schema}."{name}"', f'{schema}."{name}"'
    if _columns(con, _database_name(con), schema, name) != columns:
        return None
    touched = sorted({month for first, end in windows for month in _months_between(first, end)})
    counts = _month_counts(con, source, dated)
    for month in (set(counts) | set(kept)) - set(touched):
        if month not in kept or kept[month].split(":")[0] != str(counts.get(month)):
            return None
    if windows:
        in_windows, params = _in_days(windows, dated)
        con.execute(f"delete from {copy} where {in_windows}", params)
        con.execute(f"insert into {copy} select * from {source} where {in_windows}", params)
    fresh = _fingerprints(con, source, dated, touched)
    if _fingerprints(con, copy, dated, touched) != fresh:
        return None
    months = {month: kept[month] for month in counts if month not in touched} | fresh
    return months, sorted(fresh)


def _months_between(first: date, end: date) -> list[str]:
    """``YYYY-MM`` of every month with a day in ``[first, end)``."""
    months, month = [], f"{first:%Y-%m}"
    while date.fromisoformat(f"{month}-01") < end:
        months.append(month)
        month = _months_after(month)
    return months


def _dated_column(columns: list[tuple[str, str]]) -> str | None:
    """The column a table is dated by (published month by month), or None."""
    types = dict(columns)
    return next((name for name in DATED if types.get(name) == "DATE"), None)


def _month(dated: str) -> str:
    """The month a row is published in, by its ``dated`` column (rows without a date: "none")."""
    return f"coalesce(strftime(\"{dated}\", '%Y-%m'), '{NO_MONTH}')"


def _in_months(months: list[str], dated: str) -> tuple[str, list[date]]:
    """A condition selecting the rows published in ``months``, with its parameters: ranges of days, which
    DuckDB skips row groups by (a month of a year's history read in a third of the time of `_month`)."""
    ranges = [_days_of(month) for month in months if month != NO_MONTH]
    condition, params = _in_days(ranges, dated) if ranges else ("false", [])
    if NO_MONTH in months:
        condition = f'({condition}) or "{dated}" is null'
    return condition, params


def _days_of(month: str) -> tuple[date, date]:
    """``[first day, first day of the next month)`` of ``YYYY-MM``."""
    return date.fromisoformat(f"{month}-01"), date.fromisoformat(f"{_months_after(month)}-01")


def _in_days(windows: list[tuple[date, date]], dated: str) -> tuple[str, list[date]]:
    """A condition on the ``dated`` column selecting the days of ``windows`` (each ``[first, end)``),
    with its parameters."""
    condition = " or ".join(f'("{dated}" >= ? and "{dated}" < ?)' for _ in windows)
    return condition, [day for window in windows for day in window]


def _month_counts(con: duckdb.DuckDBPyConnection, table: str, dated: str) -> dict[str, int]:
    """Each month's rows, reading the table's dates alone."""
    return dict(con.execute(f"select {_month(dated)}, count(*) from {table} group by 1").fetchall())


def _copy_changed_months(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    name: str,
    columns: list[tuple[str, str]],
    dated: str,
    kept: dict[str, str],
) -> tuple[dict[str, str], list[str]]:
    """Bring the dated table level with the warehouse's month by month: the months whose fingerprint
    differs from ``kept`` (what the previous copy holds) are replaced; a table whose columns changed, or
    whose copy then still differs, is copied whole. Returns the warehouse's fingerprints and the months
    copied; raises when the copy does not match the warehouse."""
    source, copy = f'source.{schema}."{name}"', f'{schema}."{name}"'
    months = _fingerprints(con, source, dated)
    if kept and _columns(con, _database_name(con), schema, name) == columns:
        changed = sorted(month for month, fingerprint in months.items() if kept.get(month) != fingerprint)
        gone = sorted(set(kept) - set(months))
        if changed or gone:
            condition, params = _in_months(changed + gone, dated)
            con.execute(f"delete from {copy} where {condition}", params)
            condition, params = _in_months(changed, dated)
            con.execute(f"insert into {copy} select * from {source} where {condition}", params)
        if _fingerprints(con, copy, dated) == months:
            return months, changed
        # The previous copy does not hold what its manifest says (edited by hand?): copy the table whole.
    con.execute(f"create or replace table {copy} as select * from {source}")
    if _fingerprints(con, copy, dated) != months:
        raise RuntimeError(f"the copy of {copy} does not match the warehouse: not published. Re-run the day.")
    return months, sorted(months)


def _table_names(con: duckdb.DuckDBPyConnection, database: str, schema: str) -> list[str]:
    return [
        name
        for (name,) in con.execute(
            "select table_name from duckdb_tables() where database_name = ? and schema_name = ? "
            "order by table_name",
            [database, schema],
        ).fetchall()
    ]


def _database_name(con: duckdb.DuckDBPyConnection) -> str:
    return con.execute("select current_database()").fetchone()[0]


def _columns(con: duckdb.DuckDBPyConnection, database: str, schema: str, table: str) -> list[tuple[str, str]]:
    return con.execute(
        "select column_name, data_type from duckdb_columns() "
        "where database_name = ? and schema_name = ? and table_name = ? order by column_index",
        [database, schema, table],
    ).fetchall()


def _fingerprints(
    con: duckdb.DuckDBPyConnection, table: str, dated: str, months: list[str] | None = None
) -> dict[str, str]:
    """Each month's rows and the sum of their row hashes: equal fingerprints, equal months. Of the
    ``months`` given alone (read by their days), else of every month."""
    where, params = "", []
    if months is not None:
        if not months:
            return {}
        condition, params = _in_months(months, dated)
        where = f"where {condition}"
    rows = con.execute(
        f"select {_month(dated)} as month, count(*), sum(cast(hash(t) as hugeint)) "
        f"from {table} as t {where} group by 1",
        params,
    ).fetchall()
    return {month: f"{count}:{hashes}" for month, count, hashes in rows}


def _months_after(month: str) -> str:
    """The month after ``YYYY-MM``."""
    year, number = (int(part) for part in month.split("-"))
    return f"{year + number // 12}-{number % 12 + 1:02d}"


def _write_months(
    con: duckdb.DuckDBPyConnection,
    table: str,
    dated: str,
    folder: Path,
    months: dict[str, str],
    changed: list[str],
    previous: _Previous | None,
) -> None:
    """One Parquet file per month; an unchanged month's file is hard-linked from the previous copy."""
    folder.mkdir()
    for month in sorted(months):
        target = folder / f"{month}.parquet"
        before = previous.parquet / folder.name / target.name if previous is not None else None
        if month not in changed and before is not None and before.is_file():
            try:
                os.link(before, target)
                continue
            except OSError:  # another file system, or no hard links: write it again
                pass
        condition, params = _in_months([month], dated)
        con.execute(f"copy (select * from {table} where {condition}) to '{target}' (format parquet)", params)


def _reconciled_rows(con: duckdb.DuckDBPyConnection, source: str, copy: str) -> int:
    expected = con.execute(f"select count(*) from {source}").fetchone()[0]
    rows = con.execute(f"select count(*) from {copy}").fetchone()[0]
    if rows != expected:
        raise RuntimeError(
            f"the copy of {copy} has {rows:,} rows but the warehouse has {expected:,}: not published. "
            "Delete the publish folder's health.duckdb to copy every table whole, and re-run."
        )
    return rows


def _manifest(copy: PublishedCopy) -> dict:
    return {
        "published_at": copy.published_at,
        "run_id": copy.run_id,
        "as_of_date": copy.as_of_date,
        "database": DATABASE,
        "parquet": PARQUET_LINK,
        "tables": copy.tables,
        "months": copy.months,
        "rewrite_log": None if copy.log is None else asdict(copy.log),
    }


def _remove_old_parquet(folder: Path) -> None:
    current = (folder / PARQUET_LINK).resolve()
    versions = sorted(p for p in folder.glob("parquet-*") if p.is_dir())
    keep = set(versions[-KEEP_PARQUET_FOLDERS:]) | {current}
    for version in versions:
        if version not in keep:
            shutil.rmtree(version, ignore_errors=True)
