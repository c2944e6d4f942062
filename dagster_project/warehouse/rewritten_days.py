"""The log of which days of which table each write replaced: how later steps know what changed.

Every write of the warehouse's tables through the `Warehouse` resource, and every dbt step before it
builds its models, adds a line here: the table and the days it replaces (``[first_day, end_day)``), or
no days at all when the table is written whole. Readers remember the position they read up to and
read the lines after it:

- the BI copy (`publishing.copy`) copies only the days of the histories rewritten since it last
  published, instead of reading every row of every history to find out what changed;
- the backtest models (`defs.dbt.backtest_inputs`) are kept when no health they read was rewritten;
- today's signals (`defs.worklist.current_signals`) carry yesterday's when no earlier day was rewritten.

A line is added before (or in the same transaction as) the write it announces: a write that fails
after its line makes a reader do again what it did not need to, never miss a change. dbt run by hand
is not logged. Only DuckDB keeps the log; on the other engines the readers do the whole work.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

SCHEMA = "ops"
LOG_TABLE = f"{SCHEMA}.rewritten_days"

CREATE_SQL = f"""create table if not exists {LOG_TABLE} (
    position bigint not null,
    entry_id varchar not null,
    table_name varchar not null,
    first_day date,
    end_day date,
    logged_at timestamp not null
)"""


@dataclass(frozen=True)
class Rewrite:
    """A table's days a write replaced, ``[first_day, end_day)``; both None: the whole table."""

    table: str
    first_day: date | None = None
    end_day: date | None = None

    @property
    def whole(self) -> bool:
        return self.first_day is None or self.end_day is None


def log_statements(rewrites: list[Rewrite]) -> list[tuple[str, list]]:
    """The statements that add ``rewrites`` to the log (creating it first), to run in one transaction."""
    statements: list[tuple[str, list]] = [(f"create schema if not exists {SCHEMA}", []), (CREATE_SQL, [])]
    for rewrite in rewrites:
        statements.append(
            (
                f"""insert into {LOG_TABLE}
                    select coalesce(max(position), 0) + 1, ?, ?, ?, ?, current_timestamp from {LOG_TABLE}""",
                [uuid.uuid4().hex, rewrite.table.lower(), rewrite.first_day, rewrite.end_day],
            )
        )
    return statements


# Reading the log. ``fetch`` runs a query with parameters and returns its rows, on whatever connection
# the reader holds; ``log`` is the log table's name there (an attached warehouse's is prefixed).
Fetch = Callable[[str, list], list[tuple]]


@dataclass(frozen=True)
class LogPosition:
    """How far a reader has applied the log: its last line's position and id (the id tells a log that
    goes on from there from the log of a warehouse built again since)."""

    position: int
    entry_id: str


def last_position(fetch: Fetch, log: str = LOG_TABLE) -> LogPosition | None:
    """The log's last line; None when it is empty."""
    rows = fetch(f"select position, entry_id from {log} order by position desc limit 1", [])
    return LogPosition(int(rows[0][0]), rows[0][1]) if rows else None


def rewrites_since(fetch: Fetch, since: LogPosition, log: str = LOG_TABLE) -> list[Rewrite] | None:
    """The lines after ``since``, in order; None when the log does not go on from there."""
    entry = fetch(f"select entry_id from {log} where position = ?", [since.position])
    if not entry or entry[0][0] != since.entry_id:
        return None
    rows = fetch(
        f"select table_name, first_day, end_day from {log} where position > ? order by position",
        [since.position],
    )
    return [Rewrite(table, first_day, end_day) for table, first_day, end_day in rows]


def windowed_tables(fetch: Fetch, log: str = LOG_TABLE) -> frozenset[str]:
    """The tables some write replaced a window of days of (whose other writes are logged too)."""
    rows = fetch(f"select distinct table_name from {log} where first_day is not null", [])
    return frozenset(name for (name,) in rows)
