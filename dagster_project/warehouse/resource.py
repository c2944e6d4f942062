"""The one door to the warehouse for Python assets: read, write, run SQL, whatever the engine.

``HEALTH_TARGET`` picks the engine (DuckDB by default, PostgreSQL or Spark) and
dbt's matching target. No asset opens a database connection of its own: the
engines (`dagster_project.warehouse.engines`) keep each engine's rules, such
as DuckDB's single writer per file, in one place.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import pandas as pd
import pyarrow as pa

from dagster_project.settings import (
    DEFAULT_HISTORY_BATCH_ACCOUNT_DAYS,
    DEFAULT_WAREHOUSE,
    absolute,
    env_or,
    exported,
)
from dagster_project.warehouse.contract import PublishedTable
from dagster_project.warehouse.engines import (
    TARGETS,
    Engine,
    Query,
    Rows,
    Session,
    WarehouseBusyError,
    engine_for,
)
from dagster_project.warehouse.rewritten_days import Rewrite
from dagster_project.warehouse.run_lock import DEFAULT_WAIT_SECONDS, WarehouseLockedError, run_lock

__all__ = ["Query", "Rows", "Warehouse", "WarehouseBusyError", "WarehouseLockedError"]


class Warehouse(dg.ConfigurableResource):
    """The warehouse shared by the Python assets and dbt, on the engine ``HEALTH_TARGET`` names.

    Every field left unset is read from its environment variable at run time.
    ``path`` (``HEALTH_WAREHOUSE``, else ``data/warehouse.duckdb``) is the DuckDB
    file; the folder beside it also keeps the churn model's files on every engine.
    """

    path: str | None = None
    # duckdb, postgres or spark: HEALTH_TARGET.
    target: str | None = None
    # PostgreSQL: a libpq connection string or URL, HEALTH_PG_DSN; else HEALTH_PG_HOST, _PORT, _USER,
    # _PASSWORD and _DATABASE.
    pg_dsn: str | None = None
    # How long to wait for another process to let go of the DuckDB file before giving up.
    busy_timeout_seconds: float = 30.0
    # Most memory DuckDB may use before spilling to disk ("4GB", "50%"); HEALTH_DUCKDB_MEMORY_LIMIT,
    # the same setting dbt's profile reads.
    memory_limit: str | None = None
    # Most account-days one dbt step builds at once: a longer first build or backfill is built in
    # consecutive windows of days, so its memory and spill stay those of a medium book.
    # HEALTH_HISTORY_BATCH_ACCOUNT_DAYS; 0 builds any window at once.
    history_batch_account_days: int | None = None
    # How long a run waits for another run writing the warehouse before it stops, changing nothing;
    # HEALTH_RUN_LOCK_WAIT_SECONDS.
    run_lock_wait_seconds: float | None = None

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator[Warehouse]:
        """For a run, hold the warehouse from before its first write to its end (`run_lock`); a sensor
        or schedule that only reads holds nothing."""
        if context.dagster_run is None:
            yield self
            return
        with self.held_for(context.run_id):
            yield self

    @contextmanager
    def held_for(self, run_id: str) -> Iterator[None]:
        """The warehouse to run ``run_id`` alone; WarehouseLockedError if another run keeps it too long.
        Its sessions share one connection meanwhile (`Engine.held`)."""
        with run_lock(self.file, run_id, self.lock_wait, shown=self.shown_location), self.engine.held():
            yield

    @property
    def lock_wait(self) -> float:
        if self.run_lock_wait_seconds is not None:
            return self.run_lock_wait_seconds
        value = env_or("HEALTH_RUN_LOCK_WAIT_SECONDS", str(DEFAULT_WAIT_SECONDS))
        try:
            return float(value)
        except ValueError:
            raise ValueError(f"HEALTH_RUN_LOCK_WAIT_SECONDS={value!r} is not a number of seconds") from None

    @property
    def shown_location(self) -> str:
        """The warehouse file as a user names it: relative to the current folder when inside it."""
        try:
            return str(self.file.relative_to(Path.cwd()))
        except ValueError:
            return str(self.file)

    @property
    def file(self) -> Path:
        return absolute(self.path or env_or("HEALTH_WAREHOUSE", DEFAULT_WAREHOUSE))

    @property
    def target_name(self) -> str:
        target = (self.target or env_or("HEALTH_TARGET", "duckdb")).lower()
        if target not in TARGETS:
            raise ValueError(f"HEALTH_TARGET is {target!r}: use one of {', '.join(TARGETS)}")
        return target

    @property
    def engine(self) -> Engine:
        return engine_for(
            self.target_name,
            file=self.file,
            busy_timeout_seconds=self.busy_timeout_seconds,
            memory_limit=self.duckdb_memory_limit,
            pg_dsn=self.pg_dsn,
        )

    @property
    def duckdb_memory_limit(self) -> str:
        """DuckDB's memory limit, for the warehouse and for the local DuckDB files made from it."""
        return self.memory_limit or env_or("HEALTH_DUCKDB_MEMORY_LIMIT", "80%")

    @property
    def location(self) -> str:
        """Where the warehouse is: the DuckDB file, the PostgreSQL database or Spark's folder."""
        return self.engine.location

    @property
    def account_days_per_batch(self) -> int:
        if self.history_batch_account_days is not None:
            return self.history_batch_account_days
        return int(env_or("HEALTH_HISTORY_BATCH_ACCOUNT_DAYS", str(DEFAULT_HISTORY_BATCH_ACCOUNT_DAYS)))

    @contextmanager
    def session(self, read_only: bool = False) -> Iterator[Session]:
        """One connection for several statements (SQL in DuckDB's dialect), closed afterwards."""
        with self.engine.session(read_only) as session:
            yield session

    def query(self, sql: str, params: list | None = None) -> pd.DataFrame:
        """Run a read query and return its result as a DataFrame."""
        return self.engine.query(sql, params or [])

    def query_arrow(self, sql: str, params: list | None = None) -> pa.Table:
        """Run a read query and return its result as an Arrow table."""
        return self.engine.query_arrow(sql, params or [])

    def scalar(self, sql: str, params: list | None = None):
        """Run a query returning one value."""
        return self.engine.scalar(sql, params or [])

    def fingerprint(self, sql: str, params: list | None = None) -> str:
        """``rows:hash`` of the rows of a query, whatever their order: equal fingerprints, equal rows."""
        return self.engine.fingerprint(sql, params or [])

    def columns(self, table: str) -> list[tuple[str, str]]:
        """``(name, type)`` of each column of ``schema.table``, in order; empty when it does not exist."""
        return self.engine.columns(table)

    def tables(self) -> list[tuple[str, str]]:
        """``(schema, name)`` of every table and view in the warehouse."""
        return self.engine.tables()

    def date_range(self, table: str, column: str = "as_of_date") -> tuple[date, date] | None:
        """The days ``table`` covers as a half-open window ``[first, last + 1 day)``; None when empty."""
        first, last = self.query(f'select min("{column}"), max("{column}") from {table}').iloc[0]
        if pd.isna(first):
            return None
        return pd.Timestamp(first).date(), pd.Timestamp(last).date() + timedelta(days=1)

    def write_table(self, table: str | PublishedTable, data: Rows) -> int:
        """Replace the whole table with ``data`` in one transaction; returns the row count.

        With a `PublishedTable` the table is created with the contract's types and
        ``data`` must have exactly its columns.
        """
        return self.engine.write_table(table, data)

    def replace_rows(self, table: str | PublishedTable, data: Rows, key: str) -> int:
        """Replace the rows whose ``key`` appears in ``data`` with ``data``, atomically.

        Creates the table when it does not exist. Writing the same rows twice
        leaves one copy: a re-run replaces, never duplicates.
        """
        return self.engine.replace_rows(table, data, key)

    def insert_new(self, table: str | PublishedTable, data: Rows, key: str) -> int:
        """Insert the rows of ``data`` whose ``key`` is not in the table yet; returns how many were new.

        Rows already there are left exactly as they are (e.g. an alert's delivery status).
        """
        return self.engine.insert_new(table, data, key)

    def execute(self, sql: str, params: list | None = None) -> pd.DataFrame:
        """Run one writing statement (an update, a delete) in its own transaction; the rows it
        returns (``returning``), if any."""
        return self.engine.execute(sql, params or [])

    def replace_dates(
        self,
        table: str | PublishedTable,
        data: Rows,
        start: date,
        end: date,
        column: str = "as_of_date",
    ) -> int:
        """Replace the days ``start <= column < end`` with ``data``, atomically; rows of the table after.

        The daily histories are written this way: re-running a window gives
        exactly its rows again, and days outside it are never touched.
        """
        return self.engine.replace_dates(table, data, start, end, column)

    def log_rewrites(self, rewrites: list[Rewrite]) -> None:
        """Log the days of tables another process (dbt) is about to replace, for the incremental BI
        copy (`rewritten_days`); the resource's own writes log theirs themselves."""
        self.engine.log_rewrites(rewrites)

    @contextmanager
    def exported_to_env(self) -> Iterator[None]:
        """Export what dbt's profile reads for this warehouse (the target, the DuckDB file's absolute
        path, PostgreSQL's fields, Spark's folders) to the subprocesses started inside; restored after.

        The warehouse is lent to those subprocesses: on Spark this process stops its own session, and
        reading the warehouse inside the block fails, as the metastore admits one process."""
        engine = self.engine
        with engine.lent_out(), exported(engine.dbt_env()):
            yield
