"""What `make run` shows while it works: one line per built table and per finished step, with rows and
the time each really took; a warning block at the end; the full Dagster log goes to a file."""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path

import dagster as dg
from rich.console import Console

ROWS = ("dagster/row_count", "rows_written")
# How long building one table took, where the step that built it says: dbt's own timing of the model,
# the landing's of a raw table. A step building one table is timed by its step line.
SECONDS = ("Execution Duration", "landing_seconds")
# dagster-dbt's note for each singular dbt test it cannot attach to one asset: about wiring, not data.
_NOT_A_WARNING = ("Logging an `AssetObservation` instead of an `AssetCheckResult`",)


class RunWarnings:
    """What deserves a look after a run, by kind: counted, with one example of each."""

    def __init__(self) -> None:
        self.kinds: dict[str, list[str]] = {}

    def add(self, kind: str, example: str, count: int = 1) -> None:
        self.kinds.setdefault(kind, []).extend([example] * count)

    def from_log(self, step: str | None, message: str) -> None:
        """A warning the code logged (``context.log.warning``), by what it is about."""
        if message.startswith(_NOT_A_WARNING):
            return
        if "match no billing customer" in message:
            self.add("accounts with no billing customer", message)
        elif step and step.startswith("churn"):
            self.add("churn model", message)
        else:
            # Named after the step, as the UI names it: marts__prioritized_accounts is "prioritized accounts".
            self.add((step or "the run").removeprefix("marts__").replace("_", " "), message)

    def from_check(self, evaluation) -> None:
        """A check that did not pass: a stale source, a warning check, an error check."""
        if evaluation.passed:
            return
        where = f"{evaluation.asset_key.to_user_string()} {evaluation.check_name}"
        details = ", ".join(f"{k} {v.value}" for k, v in list(evaluation.metadata.items())[:3])
        example = f"{where}" + (f" ({details})" if details else "")
        if evaluation.check_name == "source_is_fresh":
            self.add("stale sources", example)
        elif evaluation.severity == dg.AssetCheckSeverity.ERROR:
            self.add("checks that failed", example)
        else:
            self.add("checks that warned", example)

    def from_landing(self, key: str, metadata) -> None:
        """Quarantined and superseded records of a landed raw table."""
        quarantined = _value(metadata, "records_quarantined")
        if quarantined:
            reasons = _value(metadata, "quarantine_reasons") or {}
            why = ", ".join(list(reasons)[:3])
            self.add(
                "quarantined records", f"{key}: {quarantined}" + (f" ({why})" if why else ""), quarantined
            )
        superseded = _value(metadata, "records_superseded")
        if superseded:
            self.add(
                "superseded copies", f"{key}: {superseded} older copies kept in raw.superseded", superseded
            )

    def lines(self) -> list[str]:
        """The block to print: a line per kind, most frequent first; empty when there is nothing."""
        if not self.kinds:
            return []
        ranked = sorted(self.kinds.items(), key=lambda kv: -len(kv[1]))
        lines = [f"Warnings ({len(ranked)} kind{'s' if len(ranked) > 1 else ''}; the log has each in full):"]
        for kind, examples in ranked:
            lines.append(f"  {kind}: {len(examples):,}, e.g. {examples[0]}")
        return lines


def _value(metadata, key: str):
    entry = metadata.get(key)
    return getattr(entry, "value", entry)


class ProgressHandler(logging.Handler):
    """A logging handler for Dagster's run log: every record to ``log_file``, progress to the console.

    A run over a range of days materialises each daily asset once per day (two years are 50,000
    events): the file shows an asset's first day, and when its step ends one line with how many days
    each of its assets was materialised for. Dagster's own event log (the UI) keeps every day."""

    def __init__(self, console: Console, log_file: Path) -> None:
        super().__init__(level=logging.DEBUG)
        log_file.parent.mkdir(parents=True, exist_ok=True)
        self.console = console
        self.log = log_file.open("a", encoding="utf-8")
        self.seen: set[str] = set()
        self.step_started: dict[str, float] = {}
        self.days: dict[str, DaysMaterialised] = {}
        self.failures: list[tuple[str, str]] = []
        self.warnings = RunWarnings()

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", {})
        event = meta.get("dagster_event")
        if event is None or not self._another_day(event):
            self._write(record.levelname, record.getMessage())
        if event is None:
            if record.levelno >= logging.WARNING:
                self.warnings.from_log(meta.get("step_key"), meta.get("orig_message") or record.getMessage())
            return
        now = time.monotonic()
        kind = event.event_type_value
        if kind == "STEP_START":
            self.step_started[event.step_key] = now
        elif kind == "ASSET_MATERIALIZATION":
            self._built(event)
        elif kind == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            self.warnings.from_check(evaluation)
            if not evaluation.passed:
                failed = evaluation.severity == dg.AssetCheckSeverity.ERROR
                self.console.print(
                    f"  [yellow]check {'failed' if failed else 'warned'}[/] "
                    f"{evaluation.asset_key.to_user_string()} {evaluation.check_name}"
                )
        if kind in ("STEP_SUCCESS", "STEP_FAILURE") and event.step_key in self.days:
            summary = self.days.pop(event.step_key).line(event.step_key)
            if summary:
                self._write("DEBUG", summary)
        if kind == "STEP_SUCCESS":
            seconds = now - self.step_started.get(event.step_key, now)
            self.console.print(f"[green]done[/] {event.step_key} [dim]({seconds:.1f}s)[/]")
        elif kind in ("STEP_FAILURE", "RESOURCE_INIT_FAILURE"):
            # A resource that cannot start (a bad setting, the warehouse held by another run) fails the
            # run before any step: shown the same way.
            step = event.step_key or "starting the run"
            message = user_error(event.event_specific_data.error)
            self.failures.append((step, message))
            self.console.print(f"[bold red]FAILED[/] {step}: {message.splitlines()[0]}")

    def _write(self, level: str, message: str) -> None:
        self.log.write(f"{time.strftime('%H:%M:%S')} {level} {message}\n")
        self.log.flush()

    def _another_day(self, event: dg.DagsterEvent) -> bool:
        """Whether ``event`` materialises a day of an asset whose first day of the step was written
        already (it is counted instead)."""
        if event.event_type_value != "ASSET_MATERIALIZATION" or event.partition is None:
            return False
        days = self.days.setdefault(event.step_key, DaysMaterialised())
        return days.add(event.asset_key.to_user_string(), event.partition)

    def _built(self, event: dg.DagsterEvent) -> None:
        key = event.asset_key.to_user_string()
        if key in self.seen:  # a range of days gives one event per day; one line per table is enough
            return
        self.seen.add(key)
        metadata = event.event_specific_data.materialization.metadata
        if key.startswith("raw/"):
            self.warnings.from_landing(key.replace("/", ".", 1), metadata)
        rows = next((metadata[name].value for name in ROWS if name in metadata), None)
        seconds = next((metadata[name].value for name in SECONDS if name in metadata), None)
        shown = f"{rows:>12,} rows" if isinstance(rows, int) else " " * 17
        took = f"  [dim]{seconds:5.1f}s[/]" if isinstance(seconds, int | float) else ""
        self.console.print(f"  {key:<58} {shown}{took}")

    def close(self) -> None:
        self.log.close()
        super().close()


class DaysMaterialised:
    """The days each asset of one step was materialised for, as the run's materialisations come."""

    def __init__(self) -> None:
        self.assets: dict[str, int] = {}
        self.first: str | None = None
        self.last: str | None = None

    def add(self, asset: str, day: str) -> bool:
        """Count ``asset``'s ``day``; whether the asset had a day before (so ``day`` need not be shown)."""
        before = self.assets.get(asset, 0)
        self.assets[asset] = before + 1
        self.first = day if self.first is None else min(self.first, day)
        self.last = day if self.last is None else max(self.last, day)
        return before > 0

    def line(self, step: str) -> str | None:
        """One line for the log file, when some asset was materialised for more than one day."""
        counts = sorted(set(self.assets.values()))
        if counts[-1] == 1:
            return None
        days = f"{counts[0]:,}" if len(counts) == 1 else f"{counts[0]:,} to {counts[-1]:,}"
        assets = f"{len(self.assets)} assets" if len(self.assets) > 1 else "1 asset"
        each = " each" if len(self.assets) > 1 else ""
        return (
            f"{step}: {assets} materialised for {days} days{each}, {self.first} to {self.last} "
            "(above, each asset's first day; every day is in Dagster's event log)"
        )


def user_error(error) -> str:
    """The error the code raised, not Dagster's wrapper around it: ``ErrorClass: message``."""
    if error is None:
        return "failed"
    # Unwrap Dagster's wrappers only: the code's own error may itself wrap the low-level one it explains
    # (a SourceError naming the endpoint, raised from the last HTTP failure).
    while error.cause is not None and error.cls_name.startswith("Dagster"):
        error = error.cause
    # Dagster's message starts with the class name, sometimes with its module path: shown once, bare.
    message = re.sub(rf"^(?:[\w.]+\.)?{re.escape(error.cls_name)}: ", "", error.message.strip())
    return f"{error.cls_name}: {message}"


def progress_logger(handler: ProgressHandler) -> dg.LoggerDefinition:
    """A Dagster logger that sends every record of the run to ``handler``."""

    @dg.logger(description="Progress lines on the terminal, the whole log in a file.")
    def _progress(_init_context) -> logging.Logger:
        logger = logging.getLogger("health_warehouse.progress")
        logger.setLevel(logging.DEBUG)
        logger.propagate = False
        logger.handlers = [handler]
        return logger

    return _progress
