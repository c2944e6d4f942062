"""One run writes the warehouse at a time, whatever starts it: an OS lock held for the whole run.

DuckDB's own lock is per connection, so two runs would take turns statement by
statement and interleave their writes. A run therefore holds an exclusive
``flock`` on a file beside the warehouse (``<warehouse>.writer.lock``) from
before its first write to its end. The operating system releases it when the
process ends, however it ends, so a crashed run never leaves it held. The file
says who holds it (run id, process, since when) for the message a second run
gives after waiting ``HEALTH_RUN_LOCK_WAIT_SECONDS`` in vain.

Where a Dagster daemon launches the runs, its run queue lets one
``health/writes`` run go at a time before any process starts (README,
Deployment); this lock also covers what the queue does not see: `make run`,
tests, a second `dagster dev`, a run started by hand. It guards one machine:
runs on several machines against one PostgreSQL or Spark warehouse need the
run queue.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

DEFAULT_WAIT_SECONDS = 10.0


class WarehouseLockedError(RuntimeError):
    """Another run holds the warehouse: nothing was changed."""


@dataclass
class _Held:
    fd: int
    run_id: str
    depth: int


# The locks this process holds, by lock file: a run that took its lock before Dagster started (`make
# run`) finds it held when its warehouse resource asks again.
_HELD: dict[str, _Held] = {}


def lock_file_of(warehouse_file: Path) -> Path:
    return warehouse_file.with_name(warehouse_file.name + ".writer.lock")


def _holder(fd: int) -> dict:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        return json.loads(os.read(fd, 4096).decode() or "{}")
    except (OSError, ValueError):
        return {}


def _busy_message(shown: str, holder: dict, waited: float) -> str:
    since = holder.get("started_at", "")
    since_text = f" since {since[11:16]}" if len(since) >= 16 else ""
    run = holder.get("run_id", "")
    who = f" (run {run[:8]}, process {holder.get('pid', '?')})" if run else ""
    return (
        f"another run is writing {shown}{since_text}{who}; waited {waited:.0f}s, nothing was changed. "
        "Run again when it has finished, or set HEALTH_RUN_LOCK_WAIT_SECONDS to wait longer."
    )


@contextmanager
def run_lock(
    warehouse_file: Path,
    run_id: str,
    wait_seconds: float = DEFAULT_WAIT_SECONDS,
    shown: str | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[None]:
    """Hold the warehouse for run ``run_id`` inside the block; WarehouseLockedError after waiting
    ``wait_seconds`` for another run to finish. Re-entrant for the same run in the same process."""
    path = lock_file_of(warehouse_file)
    key = str(path)
    held = _HELD.get(key)
    if held is not None:
        if held.run_id != run_id:
            raise WarehouseLockedError(
                f"this process already writes {shown or warehouse_file} for run {held.run_id[:8]}; "
                f"run {run_id[:8]} cannot start inside it"
            )
        held.depth += 1
        try:
            yield
        finally:
            held.depth -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    started = time.monotonic()
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                waited = time.monotonic() - started
                if waited >= wait_seconds:
                    raise WarehouseLockedError(
                        _busy_message(shown or str(warehouse_file), _holder(fd), waited)
                    ) from None
                sleep(min(0.25, wait_seconds - waited))
    except BaseException:
        os.close(fd)
        raise
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    holder = {
        "run_id": run_id,
        "pid": os.getpid(),
        "started_at": datetime.now().isoformat(timespec="seconds"),
    }
    os.write(fd, json.dumps(holder).encode())
    _HELD[key] = _Held(fd, run_id, 1)
    try:
        yield
    finally:
        del _HELD[key]
        os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
