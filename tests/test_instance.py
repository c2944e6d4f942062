"""The local instance queues warehouse-writing runs one at a time, and keeps an engineer's own settings."""

from __future__ import annotations

import dagster as dg

from dagster_project.defs.alerts.sensors import deliver_alerts
from dagster_project.defs.jobs import everything_job
from dagster_project.instance import prepare_home


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
