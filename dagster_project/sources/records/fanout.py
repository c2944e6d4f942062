"""One pass over source records, split into the batches of several table extracts.

A subscription gives rows in two tables, yet the landing step consumes one
TableExtract at a time. FanOut runs the single pass lazily: whichever table is
consumed drives it, and the batches meant for the other tables wait in memory
until those are consumed, so the source is read once whatever the order.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Iterator

from dagster_project.sources.extract import Batch


class FanOut:
    """Splits an iterator of ``{table: Batch}`` into one batch iterator per table."""

    def __init__(self, source: Iterator[dict[str, Batch]], tables: Collection[str]) -> None:
        self._source = source
        self._queues: dict[str, deque[Batch]] = {t: deque() for t in tables}
        self._done = False
        self._error: BaseException | None = None

    @property
    def done(self) -> bool:
        """True once the pass is over (every record was read)."""
        return self._done

    def batches(self, table: str) -> Iterator[Batch]:
        queue = self._queues[table]
        while True:
            if queue:
                yield queue.popleft()
            elif self._error is not None:
                # The pass failed while another table drove it: this table is incomplete too.
                raise self._error
            elif self._done:
                return
            else:
                self._advance()

    def _advance(self) -> None:
        try:
            item = next(self._source)
        except StopIteration:
            self._done = True
            return
        except BaseException as error:
            self._error = error
            raise
        for table, batch in item.items():
            if table in self._queues:
                self._queues[table].append(batch)
