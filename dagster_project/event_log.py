"""The local instance's event log: Dagster's SQLite storage, writing a run's days in one transaction.

A run that builds a range of days (the first build, a backfill) records one
materialisation per asset and day: 71 assets over two years of days are 50,000
events. Dagster's SQLite storage writes each in its own transactions (about
6 ms apiece here, five minutes for a first build); Dagster hands them over in
batches when ``DAGSTER_EVENT_BATCH_SIZE`` is set (the instance's environment,
see ``instance.py``), and this storage writes each batch at once (about 0.3 ms
an event), as the PostgreSQL storage does. The events of one asset in a batch
differ only in their day and time, so the batch serialises each asset's event
once and fills in each day's (a tenth of the time; ``_serialized_events``).

A day's run writes its 700 events one by one; Dagster's storage opens the file
for each statement, so this one keeps an engine per process whose connections
stay open (``_engine``: 5 to 8 s of a day's run became 2 s). The files are
Dagster's own: an instance can switch to this class and back.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from dagster import Field, StringSource
from dagster._core.events import DagsterEventType
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus
from dagster._core.storage.event_log.schema import AssetCheckExecutionsTable, SqlEventLogStorageTable
from dagster._core.storage.event_log.sqlite.consolidated_sqlite_event_log import (
    ConsolidatedSqliteEventLogStorage,
)
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._serdes import serialize_value
from dagster_shared import seven

# A batch of one of these kinds, from one run, is written at once; any other goes event by event.
_BATCHED_KINDS = ({DagsterEventType.ASSET_MATERIALIZATION}, {DagsterEventType.ASSET_OBSERVATION})
# Stand-ins for an event's day and time in its serialised form: no event of a run has either.
_DAY_MARK = "\u0000day\u0000"
_TIME_MARK = 1.0000000000000002
_DAY_TEXT, _TIME_TEXT = seven.json.dumps(_DAY_MARK), repr(_TIME_MARK)


class BatchWritingSqliteEventLogStorage(ConsolidatedSqliteEventLogStorage):
    """``SqliteEventLogStorage`` whose batches of asset events go in one statement per table, and whose
    planned events name a run's range of days once per asset instead of once per day."""

    @classmethod
    def config_type(cls):
        return {"base_dir": Field(StringSource, is_required=False)}

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        # Where Dagster keeps its own SQLite event logs, so the home can move with its history.
        base_dir = config_value.get("base_dir") or str(Path(os.environ["DAGSTER_HOME"]) / "history")
        return cls(base_dir=base_dir, inst_data=inst_data)

    @property
    def supports_partition_subset_in_asset_materialization_planned_events(self) -> bool:
        return True

    @property
    def _engine(self) -> sa.Engine:
        # Dagster's SQLite storage creates an engine for every statement and closes the file after it;
        # closing the last connection checkpoints the WAL, and each commit syncs the disk: a day's run
        # (700 events, two or three transactions each) spent 5 to 8 s there, 2 s with one engine per
        # process whose pool keeps the file open. In WAL mode, syncing at checkpoints only
        # (synchronous=NORMAL) cannot corrupt the file; a power cut may lose the last events.
        held = self.__dict__.get("_engine_of_process")
        if held is None or held[0] != os.getpid():  # a forked child opens its own connections
            # Five connections kept open; more at once (the UI's threads) are opened and closed, never
            # waited for, as Dagster's storage never waits.
            created = sa.create_engine(
                self._conn_string,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
                pool_size=5,
                max_overflow=-1,
            )
            sa.event.listen(created, "connect", _sync_at_checkpoints)
            held = self.__dict__["_engine_of_process"] = (os.getpid(), created)
        return held[1]

    def dispose(self) -> None:
        super().dispose()
        engine = self.__dict__.pop("_engine_of_process", None)
        if engine is not None and engine[0] == os.getpid():
            engine[1].dispose()

    @contextmanager
    def _connect(self) -> Iterator[sa.Connection]:
        with self._engine.connect() as conn, conn.begin():
            yield conn

    def has_table(self, table_name: str) -> bool:
        with self._engine.connect() as conn:
            return bool(self._engine.dialect.has_table(conn, table_name))

    def store_event_batch(self, events: Sequence[EventLogEntry]) -> None:
        kinds = {event.get_dagster_event().event_type for event in events}
        if kinds not in _BATCHED_KINDS or len({event.run_id for event in events}) != 1:
            super().store_event_batch(events)
            return
        rows = [
            self._row(event, text) for event, text in zip(events, _serialized_events(events), strict=True)
        ]
        # As store_event does event by event: the events with their tags, and each asset's latest event
        # remembered in the asset table.
        with self.index_transaction() as conn:
            inserted = conn.execute(
                SqlEventLogStorageTable.insert().returning(
                    SqlEventLogStorageTable.c.id, sort_by_parameter_order=True
                ),
                rows,
            )
            event_ids = [row[0] for row in inserted]
            self._store_asset_event_tags(conn, events, event_ids)
            latest = {
                event.get_dagster_event().asset_key: (event, id_)
                for event, id_ in zip(events, event_ids, strict=True)
            }
            for event, event_id in latest.values():
                self._store_asset_event(conn, event, event_id)

    def _row(self, event: EventLogEntry, serialized: str) -> dict[str, object]:
        """The row ``_event_to_row`` makes for an asset event, with the event serialised already."""
        dagster_event = event.get_dagster_event()
        return {
            "run_id": event.run_id,
            "event": serialized,
            "dagster_event_type": dagster_event.event_type_value,
            "timestamp": self._event_insert_timestamp(event),
            "step_key": dagster_event.step_key,
            "asset_key": dagster_event.asset_key.to_string(),
            "partition": dagster_event.partition,
        }

    def _store_asset_check_evaluation_planned(self, event: EventLogEntry, event_id: int | None) -> None:
        # Dagster plans a check once per day of a range run even when the check has no days (this
        # project's checks): 704 rows per check for a first build, never matched by the check's
        # evaluation, which then adds its own row. One row for the run: an evaluation without a day
        # completes it, one with a day adds its own, as it would.
        planned = event.get_dagster_event().event_specific_data
        with self.index_connection() as conn:
            conn.execute(
                AssetCheckExecutionsTable.insert().values(
                    asset_key=planned.asset_key.to_string(),
                    check_name=planned.check_name,
                    partition=None,
                    run_id=event.run_id,
                    execution_status=AssetCheckExecutionRecordStatus.PLANNED.value,
                    evaluation_event=serialize_value(event),
                    evaluation_event_timestamp=self._event_insert_timestamp(event),
                    evaluation_event_storage_id=event_id,
                )
            )


def _sync_at_checkpoints(dbapi_connection, _record) -> None:
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")


def _serialized_events(events: Sequence[EventLogEntry]) -> list[str]:
    """Each event as ``serialize_value`` writes it. A run of events that differ only in their day and
    time (an asset's days of a range run) is serialised once, with stand-ins filled in per event."""
    texts, template, template_text = [], None, None
    for event in events:
        masked = _with_marked_day_and_time(event)
        if masked is not None and masked != template:
            template, template_text = masked, serialize_value(masked)
            if template_text.count(_DAY_TEXT) != 1 or template_text.count(_TIME_TEXT) != 1:
                template_text = None  # a stand-in shows up elsewhere: serialise these events whole
        if masked is None or template_text is None:
            texts.append(serialize_value(event))
            continue
        day = seven.json.dumps(event.get_dagster_event().partition)
        texts.append(template_text.replace(_DAY_TEXT, day).replace(_TIME_TEXT, repr(event.timestamp)))
    return texts


def _with_marked_day_and_time(event: EventLogEntry) -> EventLogEntry | None:
    """The materialisation of a day with the stand-ins for its day and time, or None for any other
    event."""
    dagster_event = event.get_dagster_event()
    data = dagster_event.event_specific_data
    if (
        dagster_event.event_type != DagsterEventType.ASSET_MATERIALIZATION
        or data.materialization.partition is None
    ):
        return None
    materialization = data.materialization._replace(partition=_DAY_MARK)
    return event._replace(
        timestamp=_TIME_MARK,
        dagster_event=dagster_event._replace(
            event_specific_data=data._replace(materialization=materialization)
        ),
    )
