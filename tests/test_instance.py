"""The local instance queues warehouse-writing runs one at a time, and keeps an engineer's own settings."""

from __future__ import annotations

import contextlib
import os

import dagster as dg
import pytest
import sqlalchemy as sa
from dagster._core.storage.event_log.schema import SqlEventLogStorageTable
from dagster._serdes import deserialize_value, serialize_value

from dagster_project.defs.alerts.sensors import deliver_alerts
from dagster_project.defs.jobs import everything_job
from dagster_project.defs.partitions import range_tags
from dagster_project.event_log import BatchWritingSqliteEventLogStorage
from dagster_project.instance import _HEADER, _RUN_QUEUE, LOCAL_INSTANCE, prepare_home


def test_runs_that_write_the_warehouse_share_one_slot(monkeypatch, tmp_path):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    home = prepare_home()
    with dg.DagsterInstance.get() as instance:
        limits = instance.get_concurrency_config().run_queue_config.tag_concurrency_limits
    assert limits == [{"key": "health/writes", "value": "warehouse", "limit": 1}]
    assert everything_job.tags["health/writes"] == deliver_alerts.tags["health/writes"] == "warehouse"
    assert home == tmp_path / "home"


def test_an_existing_instance_file_is_left_alone(monkeypatch, tmp_path):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    prepare_home()
    assert (tmp_path / "dagster.yaml").read_text() == "telemetry:\n  enabled: false\n"


def test_a_home_written_by_an_earlier_version_gets_the_event_log_that_records_days_in_batches(
    monkeypatch, tmp_path
):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    (tmp_path / "dagster.yaml").write_text(_HEADER + _RUN_QUEUE)
    prepare_home()
    assert (tmp_path / "dagster.yaml").read_text() == LOCAL_INSTANCE
    with dg.DagsterInstance.get() as instance:
        assert isinstance(instance.event_log_storage, BatchWritingSqliteEventLogStorage)


DAYS = dg.DailyPartitionsDefinition(start_date="2026-03-01", end_date="2026-03-11")


@dg.asset(partitions_def=DAYS, backfill_policy=dg.BackfillPolicy.single_run())
def daily_history(context) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"days": len(context.partition_keys)})


@dg.asset(deps=[daily_history], partitions_def=DAYS, backfill_policy=dg.BackfillPolicy.single_run())
def daily_scores() -> None:
    pass


@dg.asset_check(asset=daily_history)
def history_is_whole() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


def test_a_run_over_a_range_of_days_records_each_day_of_each_asset(monkeypatch, tmp_path):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.delenv("DAGSTER_EVENT_BATCH_SIZE", raising=False)
    prepare_home()
    job = dg.Definitions(
        assets=[daily_history, daily_scores], asset_checks=[history_is_whole]
    ).resolve_implicit_global_asset_job_def()
    with dg.DagsterInstance.get() as instance:
        result = job.execute_in_process(instance=instance, tags=range_tags("2026-03-02", "2026-03-09"))
        assert result.success
        expected = {f"2026-03-0{day}" for day in range(2, 10)}  # the 2nd to the 9th: eight days
        for key in (daily_history.key, daily_scores.key):
            assert instance.get_materialized_partitions(key) == expected
            records = instance.fetch_materializations(key, limit=20).records
            assert sorted(r.partition_key for r in records) == sorted(expected)
            latest = instance.get_latest_materialization_event(key)
            assert latest.run_id == result.run_id and latest.asset_materialization.partition == "2026-03-09"
        assert records[0].asset_materialization.metadata == {}
        history = instance.fetch_materializations(daily_history.key, limit=1).records[0]
        assert history.asset_materialization.metadata["days"].value == 8
        # Planned once for the run, then completed: not a planned row per day left behind.
        executions = instance.event_log_storage.get_asset_check_execution_history(
            history_is_whole.check_key, limit=100
        )
        assert [(e.status.value, e.run_id) for e in executions] == [("SUCCEEDED", result.run_id)]
        # The asset's planned event names the range once.
        planned = instance.get_records_for_run(
            result.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED
        ).records
        assert len(planned) == 2
        # Each asset's days were serialised once and each day filled in: the stored text is what
        # Dagster's serialiser writes for that day's event, with its own day and time.
        stored = _stored_materializations(instance)
        assert len(stored) == 16
        for partition, timestamp, text in stored:
            event = deserialize_value(text, dg.EventLogEntry)
            assert serialize_value(event) == text
            assert event.get_dagster_event().partition == partition
            assert event.timestamp == pytest.approx(timestamp, abs=1e-5)  # the column keeps microseconds
        assert len({timestamp for _, timestamp, _ in stored}) > 1


def _stored_materializations(instance: dg.DagsterInstance) -> list[tuple[str, float, str]]:
    table = SqlEventLogStorageTable
    query = sa.select(table.c.partition, table.c.timestamp, table.c.event).where(
        table.c.dagster_event_type == dg.DagsterEventType.ASSET_MATERIALIZATION.value
    )
    with instance.event_log_storage.index_connection() as conn:
        rows = conn.execute(query).fetchall()
    return [(partition, stamp.timestamp(), text) for partition, stamp, text in rows]


def test_the_event_log_keeps_one_engine_per_process(monkeypatch, tmp_path):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    prepare_home()
    with dg.DagsterInstance.get() as instance:
        storage = instance.event_log_storage
        engine = storage._engine
        assert storage._engine is engine  # reused: the file stays open between statements
        with storage.index_connection() as conn:
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        with contextlib.ExitStack() as stack:  # the UI's threads at once: none waits for a connection
            connections = [stack.enter_context(storage.index_connection()) for _ in range(20)]
            assert len({id(conn) for conn in connections}) == 20
        real_pid = os.getpid()
        monkeypatch.setattr(os, "getpid", lambda: real_pid + 1)  # as in a forked child
        assert storage._engine is not engine
