"""Put the report in the publish folder without ever showing a reader half a file.

The page is written to a temporary file in the same folder and renamed over
``report.html`` (``os.replace``, atomic on one file system): a browser opening
the report gets the old page or the new one, and a failure at any point leaves
the old page as it was. The folder's other files (health.duckdb, manifest.json,
parquet/) belong to the BI copy and are not touched.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from dagster_project.report.build import build_report
from dagster_project.report.queries import Reader

REPORT_FILE = "report.html"


def save_report(page: str, folder: Path) -> Path:
    """Write ``page`` as ``folder/report.html`` atomically; returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / REPORT_FILE
    # A name of our own in the same folder: on the same file system, so the rename is atomic.
    temporary = folder / f".{REPORT_FILE}.{uuid.uuid4().hex[:12]}.tmp"
    try:
        with temporary.open("w", encoding="utf-8") as file:
            file.write(page)
            file.flush()
            # On disk before the rename, so a crash cannot leave an empty report behind the new name.
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return target


def write_report(reader: Reader, folder: Path) -> Path:
    """Build the report from ``reader`` (e.g. ``Warehouse(path=...)``) and save it in ``folder``."""
    return save_report(build_report(reader).html, folder)
