"""DuckDB: one warehouse file on this machine, the default engine.

DuckDB allows one writing process per file. Outside a run, a connection is
opened per unit of work and closed at once. A run holds the file from start to
end anyway (`resource.run_lock`), and opening it costs about 25 ms (DuckDB
starts a database instance and reads the catalogue): 120 sessions took 4 s of
medium's next day. So a run keeps one connection open (`held`), each session a
cursor on it, and closes it while dbt, which runs in its own process, or the BI
copy, another DuckDB instance in this one, needs the file (`lent_out`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import tenacity

from dagster_project.warehouse.engines.base import Engine, Session


class WarehouseBusyError(RuntimeError):
    """Another process holds the DuckDB file (one writer per file, and a writer excludes readers)."""


class DuckDBSession(Session):
    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def run(self, sql: str, params: Sequence = (), native: bool = False) -> pa.Table | None:
        relation = self.con.sql(sql, params=list(params) or None)
        return None if relation is None else relation.to_arrow_table()

    def fetch_df(self, sql: str, params: Sequence = ()) -> pd.DataFrame:
        return self.con.execute(sql, list(params)).df()

    def fetchall(self, sql: str, params: Sequence = (), native: bool = False) -> list[tuple]:
        return self.con.execute(sql, list(params)).fetchall()

    def load(self, name: str, data: pd.DataFrame | pa.Table) -> None:
        self.con.register(name, data)


@dataclass(frozen=True)
class DuckDBEngine(Engine):
    file: Path
    busy_timeout_seconds: float
    memory_limit: str
    name = "duckdb"
    keeps_rewrite_log = True
    # A batch's models each run on every core, and two at once share one memory limit: on large under
    # 4 GB, the support model ran out of it beside the segments model (first build, 2026-12-07).
    history_batch_threads = 1

    @property
    def location(self) -> str:
        return str(self.file)

    @contextmanager
    def session(self, read_only: bool = False) -> Iterator[DuckDBSession]:
        with self.connect(read_only) as con:
            yield DuckDBSession(con)

    @contextmanager
    def held(self) -> Iterator[None]:
        """Sessions inside the block share one connection to the file, opened at the first and closed at
        the end (blocks nest: the outermost closes it)."""
        hold = _HOLDS.setdefault(self.file, _Hold())
        hold.depth += 1
        try:
            yield
        finally:
            hold.depth -= 1
            if hold.depth == 0:
                hold.release()
                _HOLDS.pop(self.file, None)

    @contextmanager
    def lent_out(self) -> Iterator[None]:
        """Close the held connection for the block, and open none to keep: another process or DuckDB
        instance has the file. A session inside opens its own, as outside a run."""
        hold = _HOLDS.get(self.file)
        if hold is None:
            yield
            return
        hold.release()
        hold.lent += 1
        try:
            yield
        finally:
            hold.lent -= 1

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection for one unit of work: a cursor on the held connection inside `held`, else one of
        its own, closed afterwards."""
        file = self.file
        if read_only and not file.exists():
            raise FileNotFoundError(
                f"warehouse {file} does not exist yet: materialise the raw assets first (`make run`)"
            )
        hold = _HOLDS.get(file)
        if hold is not None and not hold.lent:
            if hold.con is None:
                # Read-write whatever this session needs: the sessions after it may write.
                hold.con, hold.memory_limit = self._open(read_only=False), self.memory_limit
            cursor = hold.con.cursor()
            hold.sessions += 1
            try:
                yield cursor
            finally:
                cursor.close()
                hold.sessions -= 1
                hold.trim()
            return
        con = self._open(read_only)
        try:
            yield con
        finally:
            con.close()

    def _open(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        """A new connection to the file, waiting out another process's short hold."""
        file = self.file
        file.parent.mkdir(parents=True, exist_ok=True)
        # Another process's short read (the alert sensor's) holds the file for a moment: wait it out.
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_delay(self.busy_timeout_seconds),
            wait=tenacity.wait_exponential(multiplier=0.1, max=2),
            retry=tenacity.retry_if_exception(_is_lock_error),
            reraise=True,
        )
        try:
            config = {"memory_limit": self.memory_limit}
            return retrying(duckdb.connect, str(file), read_only=read_only, config=config)
        except duckdb.IOException as error:
            if not _is_lock_error(error):
                raise
            raise WarehouseBusyError(
                f"warehouse {file} is locked by another process: another run is writing it ({error}). "
                f"Nothing was changed (waited {self.busy_timeout_seconds:.0f}s). Wait for that run to finish "
                "and start this one again; in a deployment the run queue's `health/writes` limit makes "
                "runs wait their turn."
            ) from error

    def columns(self, table: str) -> list[tuple[str, str]]:
        if not self.file.exists():
            return []
        return super().columns(table)

    def columns_in(self, session: Session, table: str) -> list[tuple[str, str]]:
        return session.fetchall(
            """select column_name, data_type from information_schema.columns
               where table_schema || '.' || table_name = ? order by ordinal_position""",
            [table],
        )

    def tables(self) -> list[tuple[str, str]]:
        if not self.file.exists():
            return []
        with self.session(read_only=True) as session:
            return session.fetchall(
                """select schema_name, table_name from duckdb_tables() where not starts_with(table_name, '_')
                   union all
                   select schema_name, view_name from duckdb_views() where not internal
                   order by 1, 2"""
            )

    def hash_sum_sql(self, relation: str) -> str:
        return f"cast(sum(cast(hash({relation}) as hugeint)) as varchar)"

    def dbt_env(self) -> dict[str, str]:
        # dbt runs in dbt/, so the profile is given the absolute path.
        return {**super().dbt_env(), "HEALTH_WAREHOUSE": str(self.file)}


# A held connection's buffer memory past this is given back after each session: a run's steps read
# different tables, and pandas and scikit-learn need the memory a closed connection used to free.
KEPT_BUFFER_BYTES = 256 * 2**20


@dataclass
class _Hold:
    """The connection a run keeps to one file (`DuckDBEngine.held`), if open."""

    con: duckdb.DuckDBPyConnection | None = None
    memory_limit: str = ""
    depth: int = 0
    lent: int = 0
    # Sessions open on the connection: a session may open another inside it.
    sessions: int = 0

    def trim(self) -> None:
        """Evict cached blocks past `KEPT_BUFFER_BYTES` (lowering DuckDB's memory limit evicts them), once
        no session is open: an open one's uncommitted rows must stay where they are."""
        if self.con is None or self.sessions:
            return
        used = self.con.execute("select coalesce(sum(memory_usage_bytes), 0) from duckdb_memory()").fetchone()
        if used[0] <= KEPT_BUFFER_BYTES:
            return
        try:
            self.con.execute(f"set memory_limit = '{KEPT_BUFFER_BYTES // 2**20}MB'")
        except duckdb.Error:
            pass  # what is in use cannot be evicted: kept until it can
        finally:
            self.con.execute(f"set memory_limit = '{self.memory_limit}'")

    def release(self) -> None:
        if self.con is not None:
            self.con.close()
            self.con = None


# Per process and file: engines are made anew wherever the resource is read, the connection is not.
_HOLDS: dict[Path, _Hold] = {}


def _is_lock_error(error: BaseException) -> bool:
    return isinstance(error, duckdb.IOException) and "lock" in str(error).lower()
