"""The one door to the warehouse for Python assets: connect, read, write, run SQL.

DuckDB first; another engine would implement the same few methods. No asset
opens a database connection of its own, so the single-writer rule of DuckDB
is kept in one place: connections are opened per operation and closed at once,
leaving the file free for dbt, which runs in its own process.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pyarrow as pa
import tenacity

from dagster_project.settings import (
    DEFAULT_HISTORY_BATCH_ACCOUNT_DAYS,
    DEFAULT_WAREHOUSE,
    absolute,
    env_or,
    exported,
)
from dagster_project.warehouse.contract import PublishedTable


class WarehouseBusyError(RuntimeError):
    """Another process holds the DuckDB file (one writer per file, and a writer excludes readers)."""


@dataclass(frozen=True)
class Query:
    """Rows to write that are computed inside the warehouse: never moved through Python."""

    sql: str
    params: list = field(default_factory=list)


Rows = pd.DataFrame | pa.Table | Query


class Warehouse(dg.ConfigurableResource):
    """The DuckDB warehouse file shared by the Python assets and dbt.

    ``path`` defaults to ``HEALTH_WAREHOUSE``, read at run time, else
    ``data/warehouse.duckdb`` under the current directory.
    """

    path: str | None = None
    # How long to wait for another process to let go of the file before giving up.
    busy_timeout_seconds: float = 30.0
    # Most memory DuckDB may use before spilling to disk ("4GB", "50%"); HEALTH_DUCKDB_MEMORY_LIMIT,
    # the same setting dbt's profile reads.
    memory_limit: str | None = None
    # Most account-days one dbt step builds at once: a longer first build or backfill is built in
    # consecutive windows of days, so its memory and spill stay those of a medium book.
    # HEALTH_HISTORY_BATCH_ACCOUNT_DAYS; 0 builds any window at once.
    history_batch_account_days: int | None = None

    @property
    def file(self) -> Path:
        return absolute(self.path or env_or("HEALTH_WAREHOUSE", DEFAULT_WAREHOUSE))

    @property
    def account_days_per_batch(self) -> int:
        if self.history_batch_account_days is not None:
            return self.history_batch_account_days
        return int(env_or("HEALTH_HISTORY_BATCH_ACCOUNT_DAYS", str(DEFAULT_HISTORY_BATCH_ACCOUNT_DAYS)))

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection for one unit of work, closed afterwards."""
        file = self.file
        if read_only and not file.exists():
            raise FileNotFoundError(
                f"warehouse {file} does not exist yet: materialise the raw assets first (`make run`)"
            )
        file.parent.mkdir(parents=True, exist_ok=True)
        # Another process's short read (the alert sensor's) holds the file for a moment: wait it out.
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_delay(self.busy_timeout_seconds),
            wait=tenacity.wait_exponential(multiplier=0.1, max=2),
            retry=tenacity.retry_if_exception(_is_lock_error),
            reraise=True,
        )
        try:
            config = {"memory_limit": self.memory_limit or env_or("HEALTH_DUCKDB_MEMORY_LIMIT", "80%")}
            con = retrying(duckdb.connect, str(file), read_only=read_only, config=config)
        except duckdb.IOException as error:
            if not _is_lock_error(error):
                raise
            raise WarehouseBusyError(
                f"warehouse {file} is locked by another process: another run is writing it ({error}). "
                f"Nothing was changed (waited {self.busy_timeout_seconds:.0f}s). Wait for that run to finish "
                "and start this one again; in a deployment the run queue's `health/writes` limit makes "
                "runs wait their turn."
            ) from error
        try:
            yield con
        finally:
            con.close()

    def query(self, sql: str, params: list | None = None) -> pd.DataFrame:
        """Run a read query and return its result as a DataFrame."""
        with self.connect(read_only=True) as con:
            return con.execute(sql, params or []).df()

    def scalar(self, sql: str, params: list | None = None):
        """Run a query returning one value."""
        with self.connect(read_only=True) as con:
            row = con.execute(sql, params or []).fetchone()
            return None if row is None else row[0]

    def columns(self, table: str) -> list[tuple[str, str]]:
        """``(name, type)`` of each column of ``schema.table``, in order; empty when it does not exist."""
        with self.connect(read_only=True) as con:
            return _columns(con, table)

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
        name, data = _conformed(table, data)
        if isinstance(table, PublishedTable):
            return self._write(
                name,
                data,
                f"create or replace table {name} ({table.ddl()})",
                f"insert into {name} by name select * from _incoming",
                contract=table,
                replaces_table=True,
            )
        return self._write(name, data, f"create or replace table {name} as select * from _incoming")

    def replace_rows(self, table: str | PublishedTable, data: Rows, key: str) -> int:
        """Replace the rows whose ``key`` appears in ``data`` with ``data``, atomically.

        Creates the table when it does not exist. Writing the same rows twice
        leaves one copy: a re-run replaces, never duplicates.
        """
        name, data = _conformed(table, data)
        return self._write(
            name,
            data,
            *self._create_if_missing(table),
            f'delete from {name} where "{key}" in (select "{key}" from _incoming)',
            f"insert into {name} by name select * from _incoming",
            contract=table,
        )

    def insert_new(self, table: str | PublishedTable, data: Rows, key: str) -> int:
        """Insert the rows of ``data`` whose ``key`` is not in the table yet; returns how many were new.

        Rows already there are left exactly as they are (e.g. an alert's delivery status).
        """
        name, data = _conformed(table, data)
        before = self.scalar(f"select count(*) from {name}") if self.columns(name) else 0
        after = self._write(
            name,
            data,
            *self._create_if_missing(table),
            f"insert into {name} by name select * from _incoming "
            f'where "{key}" not in (select "{key}" from {name})',
            contract=table,
        )
        return after - before

    def execute(self, sql: str, params: list | None = None) -> pd.DataFrame:
        """Run one writing statement (an update, a delete) in its own transaction; the rows it
        returns (``returning``), if any."""
        with self.connect() as con:
            result = con.execute(sql, params or [])
            return result.df() if result.description else pd.DataFrame()

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
        name, data = _conformed(table, data)

        def fits_window(con: duckdb.DuckDBPyConnection) -> None:
            outside, first, last = con.execute(
                f"""select count(*) filter (where cast("{column}" as date) not between ? and ?),
                           min("{column}"), max("{column}")
                    from _incoming""",
                [start, end - timedelta(days=1)],
            ).fetchone()
            if outside:
                raise ValueError(
                    f"{name}: rows from {first} to {last} do not fit the window [{start}, {end}) "
                    "they are meant to replace"
                )

        return self._write(
            name,
            data,
            *self._create_if_missing(table),
            (f'delete from {name} where "{column}" >= ? and "{column}" < ?', [start, end]),
            f"insert into {name} by name select * from _incoming",
            contract=table,
            check=fits_window,
        )

    @staticmethod
    def _create_if_missing(table: str | PublishedTable) -> list[str]:
        if isinstance(table, PublishedTable):
            return [f"create table if not exists {table.name} ({table.ddl()})"]
        return [f"create table if not exists {table} as select * from _incoming limit 0"]

    def _write(
        self,
        name: str,
        data: Rows,
        *statements: str | tuple[str, list],
        contract: str | PublishedTable | None = None,
        check: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
        replaces_table: bool = False,
    ) -> int:
        """Run ``statements`` over ``data`` (registered as ``_incoming``) in one transaction; rows after.

        A statement may come with its parameters as ``(sql, params)``. ``data`` may be
        a `Query`, materialised in the warehouse first. A contract's table that
        already exists with other columns, incoming rows that do not match the
        contract, or a failing ``check`` stop the write before anything changes.
        """
        schema = name.split(".")[0] if "." in name else "main"
        with self.connect() as con:
            con.execute(f"create schema if not exists {schema}")
            if isinstance(contract, PublishedTable) and not replaces_table:
                contract.check_existing(_columns(con, name))
            if isinstance(data, Query):
                con.execute(f"create temp table _incoming as {data.sql}", data.params)
                if isinstance(contract, PublishedTable):
                    contract.conform(con.sql("select * from _incoming limit 0").to_arrow_table())
            else:
                con.register("_incoming", data)
            if check is not None:
                check(con)
            con.execute("begin")
            for statement in statements:
                sql, params = statement if isinstance(statement, tuple) else (statement, [])
                con.execute(sql, params)
            con.execute("commit")
            return con.execute(f"select count(*) from {name}").fetchone()[0]

    @contextmanager
    def exported_to_env(self) -> Iterator[None]:
        """Point ``HEALTH_WAREHOUSE`` at this warehouse's absolute path for a subprocess (dbt).

        dbt reads the path from its profile, which reads the variable; it runs in
        ``dbt/``, so a relative path would land elsewhere. Restored afterwards.
        """
        with exported({"HEALTH_WAREHOUSE": str(self.file)}):
            yield


def _is_lock_error(error: BaseException) -> bool:
    return isinstance(error, duckdb.IOException) and "lock" in str(error).lower()


def _conformed(table: str | PublishedTable, data: Rows) -> tuple[str, Rows]:
    """The table's name, and frame data in its contract's column order (queries are checked when run)."""
    if not isinstance(table, PublishedTable):
        return table, data
    return table.name, data if isinstance(data, Query) else table.conform(data)


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    return con.execute(
        """select column_name, data_type from information_schema.columns
           where table_schema || '.' || table_name = ? order by ordinal_position""",
        [table],
    ).fetchall()
