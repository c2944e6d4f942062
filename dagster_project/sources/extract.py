"""What a connector hands to the landing step: batches of canonical rows and quarantined records."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal, Protocol

import pyarrow as pa


@dataclass(frozen=True)
class QuarantinedRecord:
    """A record that could not be landed, kept with the reason so nothing is silently dropped."""

    source_table: str
    record: str
    reason: str


@dataclass
class Batch:
    """Part of one raw table: rows in the table's canonical schema plus what was set aside.

    ``records_read`` counts the source records this batch came from, so that
    read = landed + unchanged + superseded + quarantined + skipped can be
    checked. One source record may give several rows in other tables (a
    subscription gives items); it is counted in the table it is named after.

    ``skipped`` counts records that are not objects of the table at all (a
    preview invoice), by reason. ``read_order`` numbers the rows in the order
    their records were read, equal for the rows of one record (a subscription
    and its items), so that of two copies of an object in one pull the landing
    keeps the newer; without it, the row order is the read order.
    """

    rows: pa.Table
    quarantined: list[QuarantinedRecord] = field(default_factory=list)
    records_read: int | None = None
    skipped: dict[str, int] = field(default_factory=dict)
    read_order: pa.Array | None = None

    @property
    def read(self) -> int:
        if self.records_read is not None:
            return self.records_read
        return self.rows.num_rows + len(self.quarantined) + sum(self.skipped.values())


WriteMode = Literal["replace", "upsert"]


@dataclass
class TableExtract:
    """Everything a source read for one raw table in one run.

    ``mode`` is ``replace`` for a full snapshot (demo, files, a first api pull)
    and ``upsert`` for an incremental pull merged by primary key (a child
    table by its parent's id: ``RawTable.parent_key``). ``cursor`` is the value
    to store once the landing succeeded, so the next pull starts there.
    """

    table: str
    batches: Iterator[Batch]
    mode: WriteMode = "replace"
    # The source guarantees one row per primary key (the demo generator): landing skips deduplication.
    ids_unique: bool = False
    # Set by the source while its batches are consumed; read by the landing step afterwards.
    cursor: str | None = None
    origin: str = ""  # file or endpoint, for messages


class Source(Protocol):
    """A connector: demo generator, file drop or HTTP APIs."""

    name: str

    def extract(self, tables: list[str], cursors: dict[str, str]) -> Iterator[TableExtract]:
        """Yield one extract per requested raw table, in dependency-free order.

        ``cursors`` maps raw table name to the cursor stored by the last
        successful run; sources that do not pull incrementally ignore it.
        """
        ...


class SourceError(RuntimeError):
    """A whole file or endpoint could not be read: fail the run, name it, say what to do."""
