"""The log of which days of which table each write replaced: how the BI copy knows what to copy again.

Every write of the warehouse's tables through the `Warehouse` resource, and every dbt step before it
builds the published models, adds a line here: the table and the days it replaces (``[first_day,
end_day)``), or no days at all when the table is written whole. The publish step (`publishing.copy`)
reads the lines added since the copy it published last, and copies only those days of the histories
again, instead of reading every row of every history to find out what changed.

A line is added before (or in the same transaction as) the write it announces: a write that fails
after its line leaves a day copied again for nothing, never a changed day left out. Only DuckDB keeps
the log, as only a DuckDB file is copied incrementally (another engine's tables are mirrored whole).
"""

from __future__ import annotations

import uuid
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
