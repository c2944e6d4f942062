"""The published tables of a PostgreSQL or Spark warehouse, brought into one local DuckDB file.

The BI copy is built from a DuckDB file (`publish_copy` attaches it): on
DuckDB that is the warehouse itself; on another engine it is this mirror of
schema ``marts``, read table by table through the warehouse's interface and
written as a new file swapped in whole, each table's columns in its contract's
order. Its row counts are reconciled with the warehouse before it is used.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path

import duckdb

from dagster_project.warehouse.resource import Warehouse

SCHEMA = "marts"


def mirror_file(folder: Path, target: str) -> Path:
    """Where the mirror of a ``target`` warehouse is kept, beside the copy it feeds (hidden)."""
    return folder / f".mirror-{target}.duckdb"


def mirror_published_tables(
    warehouse: Warehouse, folder: Path, column_order: Mapping[str, Sequence[str]] | None = None
) -> Path:
    """Write every table of ``marts`` of ``warehouse`` into a new local DuckDB file; its path.

    A table named in ``column_order`` (``marts.<table>``) gets its columns in that order when it has
    exactly those columns; the others keep the warehouse's order."""
    column_order = column_order or {}
    folder.mkdir(parents=True, exist_ok=True)
    names = [name for schema, name in warehouse.tables() if schema == SCHEMA]
    if not names:
        raise RuntimeError(f"{warehouse.location} has no tables in schema {SCHEMA}: nothing to publish")
    mirror = mirror_file(folder, warehouse.target_name)
    aside = mirror.with_name(f"{mirror.name}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        with duckdb.connect(str(aside)) as con, warehouse.session(read_only=True) as session:
            con.execute(f"create schema {SCHEMA}")
            for name in names:
                rows = session.fetch_arrow(f"select * from {SCHEMA}.{name}")
                order = list(column_order.get(f"{SCHEMA}.{name}", ()))
                if sorted(order) == sorted(rows.column_names):
                    rows = rows.select(order)
                con.register("_rows", rows)
                con.execute(f'create table {SCHEMA}."{name}" as select * from _rows')
                con.unregister("_rows")
                expected = session.fetchone(f"select count(*) from {SCHEMA}.{name}")[0]
                if rows.num_rows != expected:
                    raise RuntimeError(
                        f"{SCHEMA}.{name} changed while it was read ({rows.num_rows:,} rows read, "
                        f"{expected:,} now): not published. Re-run the day once the other run is done."
                    )
        os.replace(aside, mirror)
    finally:
        aside.unlink(missing_ok=True)
    return mirror
