"""Parse records of one kind into Batches: rows per raw table, and the records set aside with a reason."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator
from typing import Any

from dagster_project.sources.extract import Batch, QuarantinedRecord
from dagster_project.sources.raw_tables import RAW_TABLES

from .arrow import rows_to_table
from .directory import Directory
from .fields import RecordError, record_text
from .kinds import RecordKind


class BatchBuilder:
    """Collects the rows and quarantined records of one kind until :meth:`flush`.

    Only the requested tables get batches. A bad record is quarantined in the
    kind's own table; when only derived tables were requested it travels with
    the first of them, so it is still reported. Rows of customers, companies
    and contacts are remembered in the directory as they are parsed.

    With ``unique``, a record whose primary key was already added is skipped
    and not counted: an API page that shifted under concurrent writes must not
    land a row twice.
    """

    def __init__(
        self,
        kind: RecordKind,
        directory: Directory,
        tables: Collection[str] | None = None,
        unique: bool = False,
    ) -> None:
        self.kind = kind
        self.directory = directory
        self._key = RAW_TABLES[kind.table].primary_key
        self._seen: set[str] | None = set() if unique else None
        wanted = kind.tables if tables is None else [t for t in kind.tables if t in tables]
        self.tables: tuple[str, ...] = tuple(wanted)
        self._rows: dict[str, list[dict[str, Any]]] = {t: [] for t in kind.tables}
        self._quarantined: list[QuarantinedRecord] = []
        self.pending = 0  # records added since the last flush

    def add(self, obj: Any, text: str | None = None, where: str = "") -> bool:
        """Parse one record; ``text`` is its original text (else its JSON), ``where`` prefixes a reason."""
        try:
            parsed = self.kind.parse(obj, self.directory)
        except RecordError as error:
            self.quarantine(record_text(obj) if text is None else text, error.reason, where)
            return False
        if self._seen is not None:
            key = parsed[self.kind.table][0][self._key]
            if key in self._seen:
                return False
            self._seen.add(key)
        self.pending += 1
        for table, rows in parsed.items():
            self._rows[table].extend(rows)
            self.directory.learn(table, rows)
        return True

    def quarantine(self, text: str, reason: str, where: str = "") -> None:
        """Set a record aside, e.g. a line that is not JSON at all."""
        self.pending += 1
        self._quarantined.append(QuarantinedRecord(self.kind.table, text, f"{where}{reason}"))

    def flush(self) -> dict[str, Batch]:
        """Batches for the requested tables holding everything added since the last flush."""
        batches: dict[str, Batch] = {}
        for table in self.tables:
            rows = self._rows[table]
            batches[table] = Batch(rows_to_table(RAW_TABLES[table], rows))
        if self.tables:
            home = self.kind.table if self.kind.table in batches else self.tables[0]
            batches[home].quarantined = self._quarantined
            if home == self.kind.table:
                batches[home].records_read = self.pending
        self._rows = {t: [] for t in self.kind.tables}
        self._quarantined = []
        self.pending = 0
        return {t: b for t, b in batches.items() if b.rows.num_rows or b.quarantined}


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
