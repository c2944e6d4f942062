"""Time: one partition per as-of date, the window a run builds, and the daily schedule's settings.

Every asset after the raw layer is partitioned by day. A run covers a range of
days (one day from the schedule, any range from a backfill, always as one run:
``BackfillPolicy.single_run()``); dbt and the Python assets rebuild exactly the
days of that half-open window ``[start, end)``. A table's first build covers
all history up to ``end``, so the first run needs no backfill to have trends.

The layout comes from ``dagster_project/deployment.toml`` (history start,
schedule time, timezone): structure that Dagster must know when it loads the
code location, kept in a file with the code rather than in the environment.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import dagster as dg

from dagster_project.warehouse.resource import Warehouse

DEPLOYMENT_FILE = Path(__file__).resolve().parents[1] / "deployment.toml"


@dataclass(frozen=True)
class Deployment:
    history_start: str
    schedule_hour: int
    schedule_minute: int
    timezone: str


def load_deployment(path: Path = DEPLOYMENT_FILE) -> Deployment:
    """The settings of ``deployment.toml``; a missing or malformed one fails naming the file."""
    try:
        values = tomllib.loads(path.read_text())
        deployment = Deployment(**values)
        date.fromisoformat(deployment.history_start)
    except (OSError, tomllib.TOMLDecodeError, TypeError, ValueError) as error:
        raise ValueError(
            f"{path}: {error}. It needs history_start (YYYY-MM-DD), schedule_hour, schedule_minute "
            "and timezone."
        ) from error
    return deployment


DEPLOYMENT = load_deployment()

daily_partitions = dg.DailyPartitionsDefinition(
    start_date=DEPLOYMENT.history_start, timezone=DEPLOYMENT.timezone, end_offset=0
)

# A backfill of any range of days runs as one run with one dbt invocation, never one run per day.
SINGLE_RUN = dg.BackfillPolicy.single_run()


def as_of_window(context: dg.AssetExecutionContext) -> tuple[date, date]:
    """The half-open window of as-of dates ``[start, end)`` the run covers."""
    window = context.partition_time_window
    return window.start.date(), window.end.date()


def history_batches(
    start: date, end: date, accounts: int, account_days_per_batch: int
) -> list[tuple[date, date]]:
    """``[start, end)`` cut into consecutive half-open windows of at most ``account_days_per_batch``
    account-days each (whole days, one at least), in order. One window when it all fits, or when
    ``account_days_per_batch`` is 0 (no limit)."""
    days = (end - start).days
    if account_days_per_batch <= 0 or accounts * days <= account_days_per_batch:
        return [(start, end)]
    step = max(1, account_days_per_batch // max(accounts, 1))
    starts = [start + timedelta(days=offset) for offset in range(0, days, step)]
    return [(first, min(first + timedelta(days=step), end)) for first in starts]


@dataclass(frozen=True)
class RunWindow:
    """The days a Python asset rebuilds, and whether they reach the latest day of its input."""

    start: date
    end: date
    reaches_latest: bool

    def __str__(self) -> str:
        return f"[{self.start}, {self.end})"


def python_window(
    context: dg.AssetExecutionContext, warehouse: Warehouse, history: str, source: str
) -> RunWindow | None:
    """The run's window for an asset writing the daily table ``history`` from ``source``.

    As in dbt, the first build (``history`` does not exist yet) covers all of
    ``source`` up to the window's end. ``reaches_latest`` says whether the run
    includes the latest day of ``source``: only then are the current tables
    (today's view) rewritten, so a backfill of old days never changes them.
    None when ``source`` is empty.
    """
    start, end = as_of_window(context)
    available = warehouse.date_range(source)
    if available is None:
        return None
    if not warehouse.columns(history):
        start = min(start, available[0])
    return RunWindow(start=start, end=end, reaches_latest=end >= available[1])


def reaches_latest_day(context: dg.AssetExecutionContext, warehouse: Warehouse, source: str) -> bool:
    """Whether the run includes the latest day of ``source`` (or ``source`` is empty or missing): only
    such a run rewrites a table of today's view, so re-running an old day leaves it as the latest run
    left it."""
    if not warehouse.columns(source):
        return True
    available = warehouse.date_range(source)
    return available is None or as_of_window(context)[1] >= available[1]


def last_complete_day() -> str:
    """The newest partition key: the day that ended last (what the schedule builds)."""
    return daily_partitions.get_last_partition_key()


# The history every later day builds on: the last day it holds is the last day a run built.
HISTORY_TABLE = "marts.customer_health_history"


def days_to_build(last_built: date | None) -> tuple[str, str]:
    """The first and last day (partition keys) `make run` builds, given the last day the history holds
    (None without history): every day after it up to the last complete day, so days without a run are
    caught up; the last complete day alone when nothing is missing; every day from the start of the
    partitions without history, which is what a first build covers anyway. A run over a range records
    each of its days as materialised."""
    first_key, last_key = daily_partitions.get_first_partition_key(), last_complete_day()
    if last_built is None:
        return first_key, last_key
    next_day = (last_built + timedelta(days=1)).isoformat()
    return max(min(next_day, last_key), first_key), last_key


def range_tags(first: str, last: str) -> dict[str, str]:
    """The run tags of a single run over the days ``first`` to ``last``, as a backfill sets them."""
    return {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}
