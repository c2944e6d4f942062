"""The local Dagster instance of `make run` and `make dev`: its home, a run queue that lets one
warehouse-writing run go at a time (DuckDB takes one writing process per file), and an event log that
records a range of days quickly (``event_log.py``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from dagster_project.settings import absolute, env_or

_HEADER = (
    "# Written by `make run` / `make dev` (dagster_project/instance.py); "
    "edit freely, it is not overwritten.\n"
)
_RUN_QUEUE = """\
run_queue:
  max_concurrent_runs: 4
  # Runs tagged health/writes=warehouse (the daily job, alert delivery) wait for each other.
  tag_concurrency_limits:
    - key: health/writes
      value: warehouse
      limit: 1
"""
_EVENT_LOG = """\
# A first build or a backfill records every day it built, one event per table and day, in one go.
event_log_storage:
  module: dagster_project.event_log
  class: BatchWritingSqliteEventLogStorage
"""
# Written only when the home has no dagster.yaml, or still has the one an earlier version wrote: an
# engineer's own settings are never overwritten.
LOCAL_INSTANCE = _HEADER + _RUN_QUEUE + _EVENT_LOG
_EARLIER_LOCAL_INSTANCES = (_HEADER + _RUN_QUEUE,)

# How many of a run's per-day events Dagster hands the event log at once (its DAGSTER_EVENT_BATCH_SIZE).
EVENT_BATCH_SIZE = "10000"


def prepare_home() -> Path:
    """``DAGSTER_HOME`` (default data/dagster_home), created with the local instance settings; exported
    with the event batch size for this process and the ones it starts."""
    home = absolute(env_or("DAGSTER_HOME", "data/dagster_home"))
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists() or config.read_text().strip() in (
        "",
        *(t.strip() for t in _EARLIER_LOCAL_INSTANCES),
    ):
        config.write_text(LOCAL_INSTANCE)
    os.environ["DAGSTER_HOME"] = str(home)
    os.environ.setdefault("DAGSTER_EVENT_BATCH_SIZE", EVENT_BATCH_SIZE)
    return home


if __name__ == "__main__":
    # `python -m dagster_project.instance dagster dev ...` (make dev): the command in the prepared home.
    prepare_home()
    if len(sys.argv) > 1:
        os.execvp(sys.argv[1], sys.argv[1:])
    print(os.environ["DAGSTER_HOME"], file=sys.stdout)
