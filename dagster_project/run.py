"""`make run`: materialise the whole asset graph once and say what was built and where."""

from __future__ import annotations

import os
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import pandas as pd
from rich.console import Console

from dagster_project.defs.partitions import HISTORY_TABLE, daily_partitions, days_to_build, range_tags
from dagster_project.defs.publishing.resources import PublishFolder
from dagster_project.defs.worklist.assets import risk_horizon_days
from dagster_project.instance import prepare_home
from dagster_project.progress import ProgressHandler, progress_logger
from dagster_project.report import REPORT_FILE
from dagster_project.warehouse.resource import Warehouse, WarehouseLockedError


def tables_summary(warehouse: Warehouse) -> str:
    """Where the warehouse is, how many tables it holds, and the rows of each published (marts) table."""
    tables = warehouse.tables()
    lines = [f"Warehouse: {warehouse.location} ({len(tables)} tables and views)", "Published tables (marts):"]
    with warehouse.session(read_only=True) as session:
        for schema, name in tables:
            if schema == "marts":
                rows = session.fetchone(f"select count(*) from {schema}.{name}")[0]
                lines.append(f"  {name:<32} {rows:>10,} rows")
    return "\n".join(lines)


def worklist_summary(warehouse: Warehouse, top: int = 10) -> str:
    """Today's book in a few lines: accounts by grade, signal and play, the unassigned queue, revenue at
    risk, the top of the worklist."""
    grades = warehouse.query("select grade, count(*) as n from marts.customer_health group by 1 order by 1")
    signals = warehouse.query(
        "select signal, count(*) as n from marts.customer_signals group by 1 order by 2 desc"
    )
    plays = warehouse.query(
        "select play, count(*) as n from marts.prioritized_accounts group by 1 order by 2 desc, 1"
    )
    day, at_risk, accounts, horizon = warehouse.query(
        """select max(as_of_date), sum(revenue_at_risk), count(*), max(risk_horizon_days)
           from marts.prioritized_accounts"""
    ).iloc[0]
    unassigned, unassigned_p1 = warehouse.query(
        """select count(*), count(case when priority_tier = 'P1' then 1 end)
           from marts.prioritized_accounts where queue = 'unassigned'"""
    ).iloc[0]
    worklist = warehouse.query(
        f"""select priority_rank, priority_tier, account_name, queue, play, grade, churn_likelihood,
                   priority_score
            from marts.prioritized_accounts order by priority_rank limit {int(top)}"""
    )
    lines = [
        f"As of {pd.Timestamp(day).date()}: {accounts:,} active accounts",
        "  by grade:  " + "  ".join(f"{r.grade} {r.n:,}" for r in grades.itertuples()),
        "  by signal: " + "  ".join(f"{r.signal} {r.n:,}" for r in signals.itertuples()),
        "  by play:   " + "  ".join(f"{r.play} {r.n:,}" for r in plays.itertuples()),
        f"  unassigned queue (no owner): {unassigned:,} accounts, {unassigned_p1:,} of them P1",
        f"  revenue at risk (MRR x 12 x churn likelihood within {horizon} days): {at_risk:,.0f}",
        f"Top {len(worklist)} of the worklist (marts.prioritized_accounts):",
        f"  {'#':>3} {'tier':<4} {'account':<26} {'queue':<18} {'play':<22} {'grade':<5} {'churn':>6} "
        f"{'at stake':>9}",
    ]
    for r in worklist.itertuples():
        lines.append(
            f"  {r.priority_rank:>3} {r.priority_tier:<4} {r.account_name[:26]:<26} {r.queue[:18]:<18} "
            f"{r.play[:22]:<22} {r.grade:<5} {r.churn_likelihood:>6.0%} {r.priority_score:>9,.0f}"
        )
    return "\n".join(lines)


def capture_summary(warehouse: Warehouse) -> str | None:
    """The default order's catch of the churned MRR in the top 20% of the list, beside the handbook's."""
    if not warehouse.columns("marts.worklist_effectiveness"):
        return None
    rows = warehouse.query(
        """select method, is_default, churned_mrr_share, churner_share, snapshots
           from marts.worklist_effectiveness where segment = 'all' and list_share = 0.2"""
    )
    default = rows[rows["is_default"]]
    handbook = rows[rows["method"] == "health_x_lifetime_value"]
    if default.empty or pd.isna(default["churned_mrr_share"].iloc[0]):
        return "Does the worklist catch the revenue that leaves? No past snapshot has a known outcome yet."
    d = default.iloc[0]
    line = (
        f"Does the worklist catch the revenue that leaves? (marts.worklist_effectiveness, "
        f"{d.snapshots} past snapshots, out of sample)\n  the top 20% of the list ({d.method}) held "
        f"{d.churned_mrr_share:.0%} of the churned MRR and {d.churner_share:.0%} of the churners"
    )
    if not handbook.empty and d.method != "health_x_lifetime_value":
        h = handbook.iloc[0]
        line += f"; ordered by health x lifetime value: {_share(h.churned_mrr_share, '.0%')} of the MRR"
    return line


@contextmanager
def _output_to(log_file: Path) -> Iterator[None]:
    """Send fd 1 and 2 (this process and its children) to ``log_file`` until the block ends."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with log_file.open("a") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


def effectiveness_summary(warehouse: Warehouse) -> str:
    """Whether the score foresaw churn on past snapshots, and what the recalibration proposes."""
    by_grade = warehouse.query(
        """select dimension_value as grade, churn_rate from marts.score_effectiveness
           where segment = 'all' and dimension = 'grade' order by 1"""
    )
    overall = warehouse.query(
        "select * from marts.score_effectiveness where segment = 'all' and dimension = 'overall'"
    )
    horizon = risk_horizon_days(warehouse)
    if overall.empty:
        return f"Does the score foresee churn? No past snapshot has a known {horizon}-day outcome yet."
    o = overall.iloc[0]
    weights = warehouse.query(
        """select count(distinct case when status = 'recommended' then scorecard_id end) as recommended,
                  max(all_current_auc) as current_auc, max(all_recommended_auc) as recommended_auc
           from marts.recommended_weights"""
    ).iloc[0]
    lines = [
        f"Does the score foresee churn? (marts.score_effectiveness, {o.account_snapshots:,} past snapshots)",
        f"  churned within {horizon} days, by grade: "
        + "  ".join(f"{r.grade} {r.churn_rate:.1%}" for r in by_grade.itertuples()),
        f"  AUC: health score {_share(o.health_score_auc, '.2f')}, churn likelihood "
        f"{_share(o.churn_likelihood_auc, '.2f')} (time split); churners below green 60-90 days before: "
        f"{_share(o.share_of_churners_warned_60_90d, '.0%')}",
    ]
    if weights.recommended:
        lines.append(
            f"  recalibrated weights for {int(weights.recommended)} scorecard(s) would raise the health "
            f"score's AUC from {weights.current_auc:.3f} to {weights.recommended_auc:.3f}: see "
            "marts.recommended_weights, adopt with `make adopt-weights`"
        )
    return "\n".join(lines)


def _share(value, spec: str) -> str:
    return "n/a" if pd.isna(value) else format(value, spec)


def main() -> int:
    # Keep run history where `make dev` shows it.
    home = prepare_home()
    from dagster_project.definitions import defs

    # One run writes at a time: held before anything is written, to the end; a run that cannot have it
    # says so in one line and changes nothing.
    run_id = str(uuid.uuid4())
    with ExitStack() as held:
        try:
            held.enter_context(Warehouse().held_for(run_id))
        except WarehouseLockedError as busy:
            print(busy, flush=True)
            return 1
        return _run(defs, home, run_id)


def _run(defs: dg.Definitions, home: Path, run_id: str) -> int:
    """Execute the job for the last complete day as run ``run_id``; print progress, then the book."""
    log_file = home.parent / "logs" / f"run-{time.strftime('%Y%m%d-%H%M%S')}.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    # The terminal keeps a copy of the real stdout; everything else printed during the run (dbt's own
    # output, Dagster's banners) goes to the log file, down to subprocesses, by redirecting the fds.
    terminal = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    console = Console(file=terminal, highlight=False, soft_wrap=True)
    handler = ProgressHandler(console, log_file)
    job = defs.resolve_job_def("health_warehouse").with_logger_defs({"progress": progress_logger(handler)})
    first, day = days_to_build(last_built_day(Warehouse()))
    console.print(_plan(first, day))
    console.print(f"Full Dagster log: {log_file}")
    started = time.monotonic()
    try:
        with _output_to(log_file), dg.DagsterInstance.get() as instance:
            result = job.execute_in_process(
                instance=instance,
                raise_on_error=False,
                run_id=run_id,
                # One day as the schedule runs it; the first build's days as one run, as a backfill does.
                partition_key=day if first == day else None,
                tags=None if first == day else range_tags(first, day),
                run_config={"loggers": {"progress": {}}},
            )
    finally:
        handler.close()
    if not result.success:
        _print_warnings(console, handler)
        # Each failure was printed, in one line, when its step failed: name the steps, not the errors again.
        failed = ", ".join(step for step, _ in handler.failures) or "no step (see the log)"
        console.print(
            f"[bold red]Run {result.run_id} failed[/] after {time.monotonic() - started:.0f}s "
            f"(failed: {failed}, shown above). Full log: {log_file}"
        )
        return 1
    built = {e.asset_key for e in result.all_events if e.event_type_value == "ASSET_MATERIALIZATION"}
    console.print(f"Built {len(built)} assets in {time.monotonic() - started:.0f}s (run {result.run_id}).")
    warehouse = Warehouse()
    print(tables_summary(warehouse))
    print(worklist_summary(warehouse))
    print(effectiveness_summary(warehouse))
    capture = capture_summary(warehouse)
    if capture:
        print(capture)
    sys.stdout.flush()
    _print_warnings(console, handler)
    print(f"Report: {PublishFolder().folder / REPORT_FILE} (opens offline in a browser)")
    print(f"Run history: {os.environ['DAGSTER_HOME']} (see it with `make dev`); log: {log_file}")
    return 0


def last_built_day(warehouse: Warehouse) -> date | None:
    """The last day the history holds, or None when the warehouse has none yet."""
    if not warehouse.columns(HISTORY_TABLE):
        return None
    built = warehouse.date_range(HISTORY_TABLE)
    return None if built is None else built[1] - timedelta(days=1)


def _plan(first: str, day: str) -> str:
    """What the run builds, in a line."""
    if first == day:
        return (
            f"Building {day}, the last complete day; a table built for the first time gets all history up "
            "to it."
        )
    if first == daily_partitions.get_first_partition_key():
        return (
            f"First build: every day from {first} to {day}, the last complete day, recorded in Dagster as "
            "materialised partitions."
        )
    return f"Catching up: every day from {first}, the first without a run, to {day}, the last complete day."


def _print_warnings(console: Console, handler: ProgressHandler) -> None:
    """The run's warnings, a line per kind with a count and one example (the log has every one)."""
    for n, line in enumerate(handler.warnings.lines()):
        console.print(line, style="yellow" if n == 0 else None, markup=False)


if __name__ == "__main__":
    sys.exit(main())
