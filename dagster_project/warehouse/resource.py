"""The one door to the warehouse for Python assets: connect, read, write, run SQL.

DuckDB first; another engine would implement the same few methods. No asset
opens a database connection of its own, so the single-writer rule of DuckDB
is kept in one place: connections are opened per operation and closed at once,
leaving the file free for dbt, which runs in its own process.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pyarrow as pa

from dagster_project.settings import DEFAULT_WAREHOUSE, absolute, env_or


class Warehouse(dg.ConfigurableResource):
    """The DuckDB warehouse file shared by the Python assets and dbt.

    ``path`` defaults to ``HEALTH_WAREHOUSE``, read at run time, else
    ``data/warehouse.duckdb`` under the current directory.
    """

    path: str | None = None

    @property
    def file(self) -> Path:
        return absolute(self.path or env_or("HEALTH_WAREHOUSE", DEFAULT_WAREHOUSE))

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection for one unit of work, closed afterwards."""
        file = self.file
        if read_only and not file.exists():
            raise FileNotFoundError(
                f"warehouse {file} does not exist yet: materialise the raw assets first (`make run`)"
            )
        file.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(file), read_only=read_only)
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

    def write_table(self, name: str, data: pd.DataFrame | pa.Table) -> int:
        """Replace table ``schema.name`` with ``data`` in one transaction; returns the row count."""
        return self._write(name, data, f"create or replace table {name} as select * from _incoming")

    def replace_rows(self, name: str, data: pd.DataFrame | pa.Table, key: str) -> int:
        """Replace the rows of ``schema.name`` whose ``key`` appears in ``data`` with ``data``, atomically.

        Creates the table from ``data`` when it does not exist. Writing the same
        rows twice leaves one copy: a re-run replaces, never duplicates.
        """
        return self._write(
            name,
            data,
            f"create table if not exists {name} as select * from _incoming limit 0",
            f'delete from {name} where "{key}" in (select "{key}" from _incoming)',
            f"insert into {name} by name select * from _incoming",
        )

    def _write(self, name: str, data: pd.DataFrame | pa.Table, *statements: str) -> int:
        """Run ``statements`` over ``data`` (registered as ``_incoming``) in one transaction; rows after."""
        schema = name.split(".")[0] if "." in name else "main"
        with self.connect() as con:
            con.execute(f"create schema if not exists {schema}")
            con.register("_incoming", data)
            con.execute("begin")
            for statement in statements:
                con.execute(statement)
            con.execute("commit")
            return con.execute(f"select count(*) from {name}").fetchone()[0]

    @contextmanager
    def exported_to_env(self) -> Iterator[None]:
        """Point ``HEALTH_WAREHOUSE`` at this warehouse's absolute path for a subprocess (dbt).

        dbt reads the path from its profile, which reads the variable; it runs in
        ``dbt/``, so a relative path would land elsewhere. Restored afterwards.
        """
        before = os.environ.get("HEALTH_WAREHOUSE")
        os.environ["HEALTH_WAREHOUSE"] = str(self.file)
        try:
            yield
        finally:
            if before is None:
                os.environ.pop("HEALTH_WAREHOUSE", None)
            else:
                os.environ["HEALTH_WAREHOUSE"] = before
