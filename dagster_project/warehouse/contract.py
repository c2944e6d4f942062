"""Contracts of the tables the Python assets publish: columns, SQL types and descriptions.

dbt enforces the contracts of the marts it builds; a table written from Python
declares the same promise here. The warehouse creates the table with exactly
these types, checks that a frame has exactly these columns before writing it,
and the Dagster asset shows the descriptions as its column schema.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import dagster as dg
import pandas as pd
import pyarrow as pa

# The Arrow type of each contract type the published tables use.
_ARROW_TYPES = {
    "varchar": pa.string(),
    "date": pa.date32(),
    "double": pa.float64(),
    "integer": pa.int32(),
    "bigint": pa.int64(),
    "boolean": pa.bool_(),
    "timestamp": pa.timestamp("us"),
}


class ContractError(ValueError):
    """Data or an existing table that does not match a published table's contract."""


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str


@dataclass(frozen=True)
class PublishedTable:
    """A table in the BI contract written by a Python asset (``schema.name`` in ``name``)."""

    name: str
    description: str
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def ddl(self) -> str:
        """``create table`` body: the columns with their types."""
        return ", ".join(f'"{c.name}" {c.type}' for c in self.columns)

    def conform(self, data: pd.DataFrame | pa.Table) -> pd.DataFrame | pa.Table:
        """``data`` with the contract's columns in its order; raises naming any missing or extra column."""
        present = list(data.columns) if isinstance(data, pd.DataFrame) else data.column_names
        missing = [c for c in self.column_names if c not in present]
        extra = [c for c in present if c not in self.column_names]
        if missing or extra:
            raise ContractError(
                f"{self.name}: the data does not match the table's contract "
                f"(missing columns {missing}, unexpected columns {extra}). Change the code that builds "
                "it or the contract in the same commit, and note it in the README's changelog."
            )
        if isinstance(data, pd.DataFrame):
            return self._typed_nulls(data[self.column_names])
        return data.select(self.column_names)

    def _typed_nulls(self, frame: pd.DataFrame) -> pd.DataFrame | pa.Table:
        """``frame``, or as Arrow with the contract's types for its columns without a single value: such a
        column tells an engine no type (PostgreSQL then loads text, and a date or double column refuses
        it). The frame as it is when a column's type has no Arrow equivalent here."""
        empty = [c for c in self.columns if frame[c.name].isna().all()]
        types = {c.name: _ARROW_TYPES.get(c.type.lower()) for c in empty}
        if not empty or any(t is None for t in types.values()):
            return frame
        table = pa.Table.from_pandas(frame, preserve_index=False)
        for name, type_ in types.items():
            table = table.set_column(
                table.schema.get_field_index(name), name, pa.nulls(table.num_rows, type=type_)
            )
        return table

    def matches(self, found: Iterable[tuple[str, str]]) -> bool:
        """Whether a table's ``(name, type)`` columns are exactly the contract's. In any order: an engine
        may store a partition column last (Spark), and BI tools get the contract's order from the
        published copy."""
        return sorted((name, type_.upper()) for name, type_ in found) == sorted(
            (c.name, c.type.upper()) for c in self.columns
        )

    def check_existing(self, found: list[tuple[str, str]]) -> None:
        """Raise when a table already in the warehouse has other columns or types than the contract."""
        if found and not self.matches(found):
            expected = [(c.name, c.type.upper()) for c in self.columns]
            raise ContractError(
                f"{self.name} in the warehouse has columns {found}, but this version of the code writes "
                f"{expected}. It was written by another version: drop the table "
                f"(`drop table {self.name}`) and re-materialise the asset to rebuild it."
            )

    def column_schema(self) -> dg.TableSchema:
        """The Dagster column schema, shown on the asset's page."""
        return dg.TableSchema(
            columns=[dg.TableColumn(c.name, c.type.lower(), description=c.description) for c in self.columns]
        )
