"""The Python assets' SQL is written once, in DuckDB's dialect; sqlglot translates it for the other engines.

dbt models are portable through dbt's macros. The few queries the Python
assets run themselves (signals, alerts, the worklist's inputs) would otherwise
need a copy per engine; sqlglot is the well-kept translator for exactly this
(``double`` to ``double precision``, ``?`` parameters, ``varchar`` to ``string``).
"""

from __future__ import annotations

import functools

import pyarrow as pa
import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel

# A stand-in for a ``?`` parameter while psycopg's ``%`` escaping is applied.
_PARAMETER = "__health_parameter__"


@functools.lru_cache(maxsize=1024)
def translated(sql: str, dialect: str) -> str:
    """``sql`` (DuckDB's dialect, ``?`` parameters) in ``dialect`` ("postgres", "spark")."""
    if dialect == "duckdb":
        return sql
    statements = sqlglot.transpile(sql, read="duckdb", write=dialect, unsupported_level=ErrorLevel.RAISE)
    if len(statements) != 1:
        raise ValueError(f"one SQL statement at a time, got {len(statements)}: {sql[:200]}")
    return statements[0]


@functools.lru_cache(maxsize=1024)
def for_psycopg(sql: str) -> str:
    """``sql`` for PostgreSQL through psycopg: ``%s`` parameters, and every literal ``%`` doubled."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    tree = tree.transform(lambda node: exp.column(_PARAMETER) if isinstance(node, exp.Placeholder) else node)
    text = tree.sql(dialect="postgres", unsupported_level=ErrorLevel.RAISE)
    return text.replace("%", "%%").replace(_PARAMETER, "%s")


@functools.lru_cache(maxsize=1024)
def for_spark(sql: str) -> str:
    """``sql`` for Spark, its ``?`` parameters named ``:p0``, ``:p1``... in the order they stand in
    ``sql``: sqlglot moves a CTE out of a subquery for Spark, and with it the parameters inside, so
    positional parameters would take each other's values (`spark_parameters` names the values)."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    placeholders = [node for node in tree.find_all(exp.Placeholder, bfs=False) if not node.this]
    for number, node in enumerate(placeholders):
        node.replace(exp.Placeholder(this=f"p{number}"))
    return tree.sql(dialect="spark", unsupported_level=ErrorLevel.RAISE)


def spark_parameters(params) -> dict | None:
    """Parameter values by the names `for_spark` gives them."""
    return {f"p{number}": value for number, value in enumerate(params)} or None


# The SQL type each engine stores an Arrow column as, in DuckDB's names (translated like any SQL).
def arrow_sql_type(type_: pa.DataType) -> str:
    """The SQL type (DuckDB's name) of an Arrow column type."""
    if pa.types.is_boolean(type_):
        return "BOOLEAN"
    if pa.types.is_integer(type_):
        return "BIGINT" if type_.bit_width > 32 else "INTEGER"
    if pa.types.is_floating(type_):
        return "DOUBLE"
    if pa.types.is_decimal(type_):
        return f"DECIMAL({type_.precision}, {type_.scale})"
    if pa.types.is_date(type_):
        return "DATE"
    if pa.types.is_timestamp(type_):
        return "TIMESTAMP" if type_.tz is None else "TIMESTAMP WITH TIME ZONE"
    if pa.types.is_string(type_) or pa.types.is_large_string(type_) or pa.types.is_null(type_):
        return "VARCHAR"
    raise TypeError(f"no SQL type for the Arrow type {type_}")


def canonical_type(type_: str) -> str:
    """An engine's name for a column type as DuckDB names it, so contracts compare across engines."""
    name = " ".join(type_.strip().upper().split())
    base = name.split("(")[0].strip()
    if base in ("NUMERIC", "DECIMAL"):
        return "DECIMAL" + name[len(base) :].replace(" ", "").replace(",", ", ")
    return _CANONICAL.get(base, name)


_CANONICAL = {
    "DOUBLE PRECISION": "DOUBLE",
    "FLOAT8": "DOUBLE",
    "CHARACTER VARYING": "VARCHAR",
    "TEXT": "VARCHAR",
    "STRING": "VARCHAR",
    "INT": "INTEGER",
    "INT4": "INTEGER",
    "INT8": "BIGINT",
    "BOOL": "BOOLEAN",
    "TIMESTAMP WITHOUT TIME ZONE": "TIMESTAMP",
    "TIMESTAMP_NTZ": "TIMESTAMP",
}
