"""Engineers' settings: environment variables read at run time, never at import.

Every setting has a resource field that wins when set (tests and deployments
pass values explicitly); otherwise the environment variable is read when the
value is needed, falling back to the documented default.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

DEFAULT_WAREHOUSE = "data/warehouse.duckdb"
DEFAULT_PUBLISH_DIR = "data/published"
# A medium book (10k accounts over a year) in one dbt step: 4.9 GiB at its peak (docs/benchmarks.md).
DEFAULT_HISTORY_BATCH_ACCOUNT_DAYS = 4_000_000


def env_or(name: str, default: str | None = None) -> str | None:
    """The variable's value, or ``default`` when it is unset or empty."""
    value = os.environ.get(name, "").strip()
    return value or default


def absolute(path: str | os.PathLike[str]) -> Path:
    """Resolve a path relative to the current directory (the repository root under `make`)."""
    return Path(path).expanduser().resolve()


@contextmanager
def exported(variables: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the subprocesses started inside the block (dbt); restored after."""
    before = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
