"""The local Dagster instance of `make run` and `make dev`: its home, and a run queue that lets one
warehouse-writing run go at a time (DuckDB takes one writing process per file)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from dagster_project.settings import absolute, env_or

# Written only when the home has no dagster.yaml: an engineer's own settings are never overwritten.
LOCAL_INSTANCE = """\
# Written by `make run` / `make dev` (dagster_project/instance.py); edit freely, it is not overwritten.
run_queue:
  max_concurrent_runs: 4
  # Runs tagged health/writes=warehouse (the daily job, alert delivery) wait for each other.
  tag_concurrency_limits:
    - key: health/writes
      value: warehouse
      limit: 1
"""


def prepare_home() -> Path:
    """``DAGSTER_HOME`` (default data/dagster_home), created with the local instance settings; exported."""
    home = absolute(env_or("DAGSTER_HOME", "data/dagster_home"))
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists() or not config.read_text().strip():
        config.write_text(LOCAL_INSTANCE)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


if __name__ == "__main__":
    print(prepare_home(), file=sys.stdout)
