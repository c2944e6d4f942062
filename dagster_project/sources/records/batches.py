"""Parse records of one kind into Batches: rows per raw table, and the records set aside with a reason."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator
from typing import Any

import pyarrow as pa

from dagster_project.sources.extract import Batch, QuarantinedRecord
from dagster_project.sources.raw_tables import RAW_TABLES

from .arrow import rows_to_table
from .directory import Directory
from .fields import RecordError, RecordSkipped, record_text, unstorable
from .kinds import RecordKind


class BatchBuilder:
    """Collects the rows and quarantined records of one kind until :meth:`flush`.

    Only the requested tables get batches. A bad record is quarantined in the
    kind's own table; when only derived tables were requested it travels with
    the first of them, so it is still reported. A record that is not an object
    of the kind at all (a preview invoice) is skipped and counted by reason.
    Rows of customers, companies and contacts are remembered in the directory
    as they are parsed.

    Every record gets the next sighting number, shared by all its rows: when an
    object is read twice in one pull (a page that shifted under concurrent
    writes, an object both listed and in an event), the landing keeps the newer
    copy whole, items or lines included, and counts the other as superseded.
    """

    def __init__(self, kind: RecordKind, directory: Directory, tables: Collection[str] | None = None) -> None:
        self.kind = kind
        self.directory = directory
        wanted = kind.tables if tables is None else [t for t in kind.tables if t in tables]
        self.tables: tuple[str, ...] = tuple(wanted)
        self._rows: dict[str, list[dict[str, Any]]] = {t: [] for t in kind.tables}
        self._orders: dict[str, list[int]] = {t: [] for t in kind.tables}
        self._quarantined: list[QuarantinedRecord] = []
        self._skipped: Counter[str] = Counter()
        self._sightings = 0
        self.pending = 0  # records added since the last flush

    def add(self, obj: Any, text: str | None = None, where: str = "") -> bool:
        """Parse one record; ``text`` is its original text (else its JSON), ``where`` prefixes a reason.

        True when it gave rows; False when it was quarantined or skipped.
        """
        try:
            parsed = self.kind.parse(obj, self.directory)
            _check_storable(parsed)
        except RecordSkipped as skipped:
            self.skip(skipped.reason)
            return False
        except RecordError as error:
            self.quarantine(record_text(obj) if text is None else text, error.reason, where)
            return False
        self.pending += 1
        self._sightings += 1
        for table, rows in parsed.items():
            self._rows[table].extend(rows)
            self._orders[table].extend([self._sightings] * len(rows))
            self.directory.learn(table, rows)
        return True

    def skip(self, reason: str, count: int = 1) -> None:
        """Count records read but not of this kind (e.g. a preview invoice met in an event)."""
        self.pending += count
        self._skipped[reason] += count

    def quarantine(self, text: str, reason: str, where: str = "") -> None:
        """Set a record aside, e.g. a line that is not JSON at all."""
        self.pending += 1
        self._quarantined.append(QuarantinedRecord(self.kind.table, text, f"{where}{reason}"))

    def flush(self) -> dict[str, Batch]:
        """Batches for the requested tables holding everything added since the last flush."""
        batches: dict[str, Batch] = {}
        for table in self.tables:
            batches[table] = Batch(
                rows_to_table(RAW_TABLES[table], self._rows[table]),
                read_order=pa.array(self._orders[table], pa.int64()),
            )
        if self.tables:
            home = self.kind.table if self.kind.table in batches else self.tables[0]
            batches[home].quarantined = self._quarantined
            batches[home].skipped = dict(self._skipped)
            if home == self.kind.table:
                batches[home].records_read = self.pending
        self._rows = {t: [] for t in self.kind.tables}
        self._orders = {t: [] for t in self.kind.tables}
        self._quarantined = []
        self._skipped = Counter()
        self.pending = 0
        return {t: b for t, b in batches.items() if b.rows.num_rows or b.quarantined or b.skipped}


def _check_storable(parsed: dict[str, list[dict[str, Any]]]) -> None:
    """RecordError for a record whose rows hold a value no raw column can (the whole record is set aside)."""
    for rows in parsed.values():
        for row in rows:
            reason = unstorable(row)
            if reason:
                raise RecordError(reason)


def at_least_one(
    table: str, batches: Iterable[Batch], when_done: Callable[[], None] | None = None
) -> Iterator[Batch]:
    """Yield ``batches``, or one empty batch in the table's schema if there were none; then ``when_done()``.

    ``when_done`` runs only once every batch was consumed, which is when a
    source may set the extract's cursor.
    """
    empty = True
    for batch in batches:
        empty = False
        yield batch
    if empty:
        yield Batch(RAW_TABLES[table].empty())
    if when_done is not None:
        when_done()
