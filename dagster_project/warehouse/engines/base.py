"""What every engine offers the Python assets: sessions, reads, and the table writes they need.

An engine is DuckDB (one file), PostgreSQL or Spark. Engines with transactions
(DuckDB, PostgreSQL) share the writes below: the incoming rows are loaded as
``_incoming`` and the statements that apply them run in one transaction, so a
failed write leaves the table as it was. SQL is written in DuckDB's dialect and
each session translates it (`dagster_project.warehouse.dialect`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta

import duckdb
import pandas as pd
import pyarrow as pa

from dagster_project.warehouse.contract import PublishedTable
from dagster_project.warehouse.rewritten_days import Rewrite, log_statements


@dataclass(frozen=True)
class Query:
    """Rows to write that are computed inside the warehouse: never moved through Python."""

    sql: str
    params: list = field(default_factory=list)


Rows = pd.DataFrame | pa.Table | Query
# SQL, SQL with its parameters, or what to do with the session.
Statement = str | tuple[str, Sequence] | Callable[["Session"], None]
INCOMING = "_incoming"


class Session(ABC):
    """One connection for one unit of work; SQL in DuckDB's dialect."""

    @abstractmethod
    def run(self, sql: str, params: Sequence = (), native: bool = False) -> pa.Table | None:
        """Run one statement; its rows when it returns any (a query, ``returning``). ``sql`` is in DuckDB's
        dialect, or already in the engine's own (`translate`) when ``native``."""

    def translate(self, sql: str) -> str:
        """``sql`` (DuckDB's dialect) in the engine's own, parameters included."""
        return sql

    @abstractmethod
    def load(self, name: str, data: pd.DataFrame | pa.Table) -> None:
        """Make ``data`` readable as the relation ``name`` for the rest of the session."""

    def create_table(
        self, name: str, columns: str, partitioned_by: str | None = None, lake: bool = False
    ) -> None:
        """Create table ``name`` with ``columns`` (a create table's body) unless it exists. Where the
        engine has them (Spark): ``partitioned_by`` keeps it in partitions of that column, and ``lake``
        keeps its files in the lake, where other engines can read them."""
        self.execute(f"create table if not exists {name} ({columns})")

    def column_names(self, table: str) -> list[str]:
        return self.fetch_arrow(f"select * from {table} limit 0").column_names

    def overwrite(self, table: str, columns: str, query: str) -> None:
        """Replace every row of ``table`` with those of ``query`` (into ``columns``, a column list), inside
        the caller's transaction where the engine has one."""
        self.execute(f"delete from {table}")
        self.execute(f"insert into {table} ({columns}) {query}")

    def replaceable_by_rename(self, table: str) -> bool:
        """Whether another table renamed to ``table`` may take its place: not where ``table``'s files
        live at a fixed place (Spark's lake) or in partitions the other table lacks."""
        return True

    def execute(self, sql: str, params: Sequence = ()) -> None:
        self.run(sql, params)

    def fetch_arrow(self, sql: str, params: Sequence = ()) -> pa.Table:
        rows = self.run(sql, params)
        if rows is None:
            raise ValueError(f"the statement returns no rows: {sql[:200]}")
        return rows

    def fetch_df(self, sql: str, params: Sequence = ()) -> pd.DataFrame:
        """Rows as DuckDB converts them to pandas (dates as datetime64, decimals as float) on every engine."""
        return as_frame(self.fetch_arrow(sql, params))

    def fetchall(self, sql: str, params: Sequence = (), native: bool = False) -> list[tuple]:
        table = self.run(sql, params, native)
        return list(zip(*(column.to_pylist() for column in table.columns), strict=True))

    def fetchone(self, sql: str, params: Sequence = ()) -> tuple | None:
        rows = self.fetchall(sql, params)
        return rows[0] if rows else None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything inside commits together or not at all."""
        self.execute("begin transaction")
        try:
            yield
        except BaseException:
            self.execute("rollback")
            raise
        self.execute("commit")


class Engine(ABC):
    """One warehouse engine: where it is, how to open a session, and the writes of `Warehouse`."""

    #: dbt's target (an output of dbt/profiles.yml) and sqlglot's dialect.
    name: str
    #: Whether writes are logged in `rewritten_days` (the log the incremental BI copy reads).
    keeps_rewrite_log: bool = False
    #: dbt's threads for a history batch (a window of days a first build or backfill builds before the
    #: run's own build), or None for the profile's.
    history_batch_threads: int | None = None

    @property
    @abstractmethod
    def location(self) -> str:
        """Where the warehouse is, for messages and fingerprints (never a password)."""

    @abstractmethod
    def session(self, read_only: bool = False) -> Iterator[Session]:
        """A context manager: a session for one unit of work, closed afterwards."""

    def columns(self, table: str) -> list[tuple[str, str]]:
        """``(name, type)`` of each column of ``schema.table`` in order, types as DuckDB names them;
        empty when the table does not exist."""
        with self.session(read_only=True) as session:
            return self.columns_in(session, table)

    @abstractmethod
    def columns_in(self, session: Session, table: str) -> list[tuple[str, str]]:
        """`columns` read through an open session."""

    @abstractmethod
    def tables(self) -> list[tuple[str, str]]:
        """``(schema, name)`` of every table and view the project made, sorted."""

    @contextmanager
    def held(self) -> Iterator[None]:
        """Keep the warehouse open while the block runs (a run), for the sessions inside to share, where
        opening it costs (DuckDB). Nothing to do elsewhere."""
        yield

    @contextmanager
    def lent_out(self) -> Iterator[None]:
        """While the block runs, another process (dbt), or another reader in this one (the BI copy's
        DuckDB), may need the warehouse to itself: let go of it, and keep off it until the block ends.
        Nothing to do where connections are shared."""
        yield

    def dbt_env(self) -> dict[str, str]:
        """Environment variables dbt's profile reads for this engine's target."""
        return {"HEALTH_TARGET": self.name}

    # Reads.

    def query(self, sql: str, params: Sequence = ()) -> pd.DataFrame:
        with self.session(read_only=True) as session:
            return session.fetch_df(sql, params)

    def query_arrow(self, sql: str, params: Sequence = ()) -> pa.Table:
        with self.session(read_only=True) as session:
            return session.fetch_arrow(sql, params)

    def scalar(self, sql: str, params: Sequence = ()):
        with self.session(read_only=True) as session:
            row = session.fetchone(sql, params)
            return None if row is None else row[0]

    def fingerprint(self, sql: str, params: Sequence = ()) -> str:
        """``rows:hash`` of the rows of query ``sql``, whatever their order: the sum of a hash of each
        row, which no engine spells the same way (`hash_sum_sql`)."""
        with self.session(read_only=True) as session:
            inner = session.translate(sql)
            query = f"select count(*), {self.hash_sum_sql('fingerprinted')} from ({inner}) as fingerprinted"
            count, total = session.fetchall(query, params, native=True)[0]
        return f"{count}:{total}"

    @abstractmethod
    def hash_sum_sql(self, relation: str) -> str:
        """The engine's own SQL for the sum of a 64-bit hash of every row of ``relation``, as text."""

    # Writes: one transaction each.

    def write_table(self, table: str | PublishedTable, data: Rows) -> int:
        name, data = _conformed(table, data)
        if isinstance(table, PublishedTable):
            create = [f"drop table if exists {name}", f"create table {name} ({table.ddl()})"]
        else:
            create = [
                f"drop table if exists {name}",
                f"create table {name} as select * from {INCOMING} limit 0",
            ]
        return self._write(name, data, *create, contract=table, replaces_table=True, rewrite=Rewrite(name))

    def replace_rows(self, table: str | PublishedTable, data: Rows, key: str) -> int:
        name, data = _conformed(table, data)
        return self._write(
            name,
            data,
            *self._create_if_missing(table),
            f'delete from {name} where "{key}" in (select "{key}" from {INCOMING})',
            contract=table,
            rewrite=Rewrite(name),
        )

    def insert_new(self, table: str | PublishedTable, data: Rows, key: str) -> int:
        name, data = _conformed(table, data)
        with self.session() as session:
            before = (
                session.fetchone(f"select count(*) from {name}")[0] if self.columns_in(session, name) else 0
            )
        after = self._write(
            name,
            data,
            *self._create_if_missing(table),
            contract=table,
            only_new_key=key,
            rewrite=Rewrite(name),
        )
        return after - before

    def execute(self, sql: str, params: Sequence = ()) -> pd.DataFrame:
        with self.session() as session, session.transaction():
            rows = session.run(sql, params)
        return pd.DataFrame() if rows is None else as_frame(rows)

    def log_rewrites(self, rewrites: list[Rewrite]) -> None:
        """Log days another process (dbt) is about to replace, on an engine that keeps the log."""
        if not rewrites or not self.keeps_rewrite_log:
            return
        with self.session() as session, session.transaction():
            for sql, params in log_statements(rewrites):
                session.execute(sql, params)

    def replace_dates(
        self, table: str | PublishedTable, data: Rows, start: date, end: date, column: str = "as_of_date"
    ) -> int:
        name, data = _conformed(table, data)

        def fits_window(session: Session) -> None:
            outside, first, last = session.fetchone(
                f"""select count(*) filter (where cast("{column}" as date) not between ? and ?),
                           min("{column}"), max("{column}")
                    from {INCOMING}""",
                [start, end - timedelta(days=1)],
            )
            if outside:
                raise ValueError(
                    f"{name}: rows from {first} to {last} do not fit the window [{start}, {end}) "
                    "they are meant to replace"
                )

        return self._write(
            name,
            data,
            *self._create_if_missing(table, partitioned_by=column),
            (f'delete from {name} where "{column}" >= ? and "{column}" < ?', [start, end]),
            contract=table,
            check=fits_window,
            rewrite=Rewrite(name, start, end),
        )

    def _write(
        self,
        name: str,
        data: Rows,
        *statements: Statement,
        contract: str | PublishedTable | None = None,
        check: Callable[[Session], None] | None = None,
        replaces_table: bool = False,
        only_new_key: str | None = None,
        rewrite: Rewrite | None = None,
    ) -> int:
        """Run ``statements`` then insert ``data`` (loaded as ``_incoming``) in one transaction; rows after.

        A statement may come with its parameters as ``(sql, params)``. ``data`` may be
        a `Query`, materialised in the warehouse first. A contract's table that
        already exists with other columns, incoming rows that do not match the
        contract, or a failing ``check`` stop the write before anything changes. ``rewrite`` (the days
        replaced) goes to the log of rewritten days in the same transaction, on an engine that keeps it.
        """
        schema = name.split(".")[0] if "." in name else "main"
        with self.session() as session:
            session.execute(f"create schema if not exists {schema}")
            if isinstance(contract, PublishedTable) and not replaces_table:
                contract.check_existing(self.columns_in(session, name))
            if isinstance(data, Query):
                self._materialise(session, data)
                if isinstance(contract, PublishedTable):
                    contract.conform(session.fetch_arrow(f"select * from {INCOMING} limit 0"))
            else:
                session.load(INCOMING, data)
            if check is not None:
                check(session)
            columns = session.fetch_arrow(f"select * from {INCOMING} limit 0").column_names
            with session.transaction():
                if rewrite is not None and self.keeps_rewrite_log:
                    statements = (*log_statements([rewrite]), *statements)
                for statement in statements:
                    if callable(statement):
                        statement(session)
                        continue
                    sql, params = statement if isinstance(statement, tuple) else (statement, [])
                    session.execute(sql, params)
                session.execute(_insert_by_name(name, columns, only_new_key))
            return session.fetchone(f"select count(*) from {name}")[0]

    def _materialise(self, session: Session, query: Query) -> None:
        session.execute(f"create temporary table {INCOMING} as {query.sql}", query.params)

    def _create_if_missing(
        self, table: str | PublishedTable, partitioned_by: str | None = None
    ) -> list[Statement]:
        """Create the table the rows go to unless it exists: a contract's with its types (in partitions
        of ``partitioned_by`` where the engine has them), else with the incoming rows' columns."""
        if isinstance(table, PublishedTable):
            return [lambda session: session.create_table(table.name, table.ddl(), partitioned_by)]
        return [f"create table if not exists {table} as select * from {INCOMING} limit 0"]


def _insert_by_name(name: str, columns: list[str], only_new_key: str | None = None) -> str:
    """Every incoming row into ``name``, column by name (or only the rows whose key is new)."""
    listed = ", ".join(f'"{c}"' for c in columns)
    sql = f"insert into {name} ({listed}) select {listed} from {INCOMING}"
    if only_new_key:
        sql += f' where "{only_new_key}" not in (select "{only_new_key}" from {name})'
    return sql


def _conformed(table: str | PublishedTable, data: Rows) -> tuple[str, Rows]:
    """The table's name, and frame data in its contract's column order (queries are checked when run)."""
    if not isinstance(table, PublishedTable):
        return table, data
    return table.name, data if isinstance(data, Query) else table.conform(data)


def as_frame(rows: pa.Table) -> pd.DataFrame:
    """Arrow rows as a DataFrame with DuckDB's conversions, whichever engine read them."""
    return duckdb.from_arrow(rows).df()
