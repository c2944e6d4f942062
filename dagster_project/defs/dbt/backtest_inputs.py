"""Whether the backtest models (score_effectiveness and its inputs) would come out as they are.

They are whole tables over the past monthly snapshots whose outcome is known: the snapshots, the churn
model's backtest, and the health of those snapshots' days and of the days before each churn. A daily
run rebuilds the health of its own days, later than any of those, so on most days nothing they read
has changed: the run then does not start dbt for them. What they read is recorded when they are built:
a fingerprint of the snapshots and of the backtest, the models' and tests' code, and the position of
the log of rewritten days (`warehouse.rewritten_days`); they are built again when any of these
changed, or when a write since replaced health on a day they read (a backfill of past days).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from dagster_project.warehouse.resource import Warehouse
from dagster_project.warehouse.rewritten_days import LOG_TABLE, LogPosition, last_position, rewrites_since

STATE_TABLE = "ops.backtest_inputs"
SNAPSHOTS = "intermediate.int_churn_snapshots"
BACKTEST = "marts.churn_backtest"
HEALTH = "intermediate.int_account_health_daily"
# int_churn_early_warnings reads the health of the days 90 to 60 days before each churn.
WARNING_WINDOW_ENDS_DAYS_BEFORE_CHURN = 60


@dataclass(frozen=True)
class BacktestInputs:
    """What the backtest models read, as of now: fingerprints and code, and the log's position."""

    fingerprints: dict[str, str]
    log: LogPosition | None

    @property
    def state(self) -> str:
        return json.dumps(self.fingerprints, sort_keys=True)


def current_inputs(warehouse: Warehouse, code: str) -> BacktestInputs | None:
    """The inputs as they stand; None when the warehouse keeps no log of rewritten days (only DuckDB
    does) or a table they read is missing: then they are always built."""
    if not all(warehouse.columns(table) for table in (LOG_TABLE, SNAPSHOTS, BACKTEST)):
        return None
    fingerprints = {
        "code": code,
        "snapshots": warehouse.fingerprint(f"select * from {SNAPSHOTS}"),
        "backtest": warehouse.fingerprint(f"select * from {BACKTEST}"),
    }
    with warehouse.session(read_only=True) as session:
        log = last_position(session.fetchall)
    return BacktestInputs(fingerprints, log)


def why_unchanged(warehouse: Warehouse, inputs: BacktestInputs | None) -> str | None:
    """Why the backtest models need no rebuild, in a sentence; None when they do."""
    if inputs is None or not warehouse.columns(STATE_TABLE):
        return None
    recorded = warehouse.query(f"select state, log_position, log_entry_id from {STATE_TABLE}")
    if len(recorded) != 1 or recorded["state"].iloc[0] != inputs.state:
        return None
    position, entry_id = recorded["log_position"].iloc[0], recorded["log_entry_id"].iloc[0]
    if pd.isna(position):
        return None
    with warehouse.session(read_only=True) as session:
        since = rewrites_since(session.fetchall, LogPosition(int(position), entry_id))
    if since is None:
        return None
    last_read = last_health_day_read(warehouse)
    for rewrite in since:
        if rewrite.table != HEALTH:
            continue
        if rewrite.whole or last_read is None or rewrite.first_day <= last_read:
            return None
    return (
        "the snapshots, the churn model's backtest and the models are as when they were last built, and "
        f"no health they read was rebuilt since (the run's days are after {last_read})"
    )


def last_health_day_read(warehouse: Warehouse) -> date | None:
    """The last day of health the backtest models read: the last snapshot's, or the last day of the
    warning window before the last churn, whichever is later."""
    snapshot, churned = warehouse.query(
        f"""select max(as_of_date) as snapshot,
                   max(case when churned_within_horizon = 1 then revenue_ended_on end) as churned
            from {SNAPSHOTS}"""
    ).iloc[0]
    days = [pd.Timestamp(snapshot).date()] if not pd.isna(snapshot) else []
    if not pd.isna(churned):
        days.append(pd.Timestamp(churned).date() - timedelta(days=WARNING_WINDOW_ENDS_DAYS_BEFORE_CHURN))
    return max(days) if days else None


def record_built(warehouse: Warehouse, inputs: BacktestInputs | None) -> None:
    """Record what the backtest models were built from (after they were built and tested)."""
    if inputs is None:
        return
    warehouse.write_table(
        STATE_TABLE,
        pd.DataFrame(
            {
                "state": [inputs.state],
                "log_position": pd.array([inputs.log.position if inputs.log else None], dtype="Int64"),
                "log_entry_id": pd.array([inputs.log.entry_id if inputs.log else None], dtype="string"),
                "built_at": [pd.Timestamp.now(tz="UTC").tz_localize(None)],
            }
        ),
    )


def code_version(nodes: list[dict], project_file_text: str) -> str:
    """A hash of the models' and their tests' compiled identity (checksums and configs) and of the
    project's settings (its vars)."""
    identity = json.dumps(
        [
            project_file_text,
            *sorted(
                (n["unique_id"], n["checksum"], n["config"], n.get("raw_code"), n.get("test_metadata"))
                for n in nodes
            ),
        ],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(identity.encode()).hexdigest()[:16]
