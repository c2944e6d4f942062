"""What `make run` shows while it works: one line per built table and per finished step, with rows and
seconds; the full Dagster log goes to a file."""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path

import dagster as dg
from rich.console import Console

ROWS = ("dagster/row_count", "rows_written")


class ProgressHandler(logging.Handler):
    """A logging handler for Dagster's run log: every record to ``log_file``, progress to the console."""

    def __init__(self, console: Console, log_file: Path) -> None:
        super().__init__(level=logging.DEBUG)
        log_file.parent.mkdir(parents=True, exist_ok=True)
        self.console = console
        self.log = log_file.open("a", encoding="utf-8")
        self.seen: set[str] = set()
        self.step_started: dict[str, float] = {}
        self.last_done = time.monotonic()
        self.failures: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.log.write(f"{time.strftime('%H:%M:%S')} {record.levelname} {record.getMessage()}\n")
        self.log.flush()
        event = getattr(record, "dagster_meta", {}).get("dagster_event")
        if event is None:
            return
        now = time.monotonic()
        kind = event.event_type_value
        if kind == "STEP_START":
            self.step_started[event.step_key] = now
        elif kind == "ASSET_MATERIALIZATION":
            self._built(event, now)
        elif kind == "STEP_SUCCESS":
            seconds = now - self.step_started.get(event.step_key, now)
            self.console.print(f"[green]done[/] {event.step_key} [dim]({seconds:.1f}s)[/]")
        elif kind in ("STEP_FAILURE", "RESOURCE_INIT_FAILURE"):
            # A resource that cannot start (a bad setting, the warehouse held by another run) fails the
            # run before any step: shown the same way.
            step = event.step_key or "starting the run"
            message = user_error(event.event_specific_data.error)
            self.failures.append((step, message))
            self.console.print(f"[bold red]FAILED[/] {step}: {message.splitlines()[0]}")

    def _built(self, event: dg.DagsterEvent, now: float) -> None:
        key = event.asset_key.to_user_string()
        if key in self.seen:  # a range of days gives one event per day; one line per table is enough
            return
        self.seen.add(key)
        metadata = event.event_specific_data.materialization.metadata
        rows = next((metadata[name].value for name in ROWS if name in metadata), None)
        shown = f"{rows:>12,} rows" if isinstance(rows, int) else " " * 17
        self.console.print(f"  {key:<58} {shown}  [dim]{now - self.last_done:5.1f}s[/]")
        self.last_done = now

    def close(self) -> None:
        self.log.close()
        super().close()


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
