"""Build a raw table's Arrow table from row dicts, with exactly the contract's schema."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa

from dagster_project.sources.raw_tables import RawTable


def rows_to_table(table: RawTable, rows: Sequence[Mapping[str, Any]]) -> pa.Table:
    """Arrow table in ``table.arrow_schema`` (same columns, order and types) from row dicts.

    A column missing from a row is null. A key that is not a column of the
    table is a bug in the parser, so it raises instead of being dropped.
    """
    if not rows:
        return table.empty()
    names = table.column_names
    known = set(names)
    for row in rows:
        if not known.issuperset(row):
            unknown = sorted(set(row) - known)
            raise ValueError(f"{table.name}: rows have columns that are not in the contract: {unknown}")
    arrays = [pa.array([row.get(c.name) for row in rows], type=c.type) for c in table.columns]
    return pa.Table.from_arrays(arrays, schema=table.arrow_schema)
