"""Write a consistent copy of the published tables for BI tools, then swap it in atomically.

Layout of the publish folder (``HEALTH_PUBLISH_DIR``, default ``data/published``)::

    health.duckdb        every table of schema marts, one DuckDB file
    parquet/             a link to the current parquet-<id>/ folder: one <table>.parquet per table
    manifest.json        when, from which run and as of which day; the tables and their rows

How it stays safe for readers:

- ``health.duckdb`` is built as a new temporary file in the same folder and
  renamed over the old one (``os.replace``, atomic on one file system). A BI
  process that has the old file open keeps reading it, undisturbed, and is
  never blocked: the job never writes to a file a reader holds. The next
  connection opens the new copy.
- The Parquet files are written into a new ``parquet-<id>/`` folder, and the
  ``parquet`` link is then pointed at it in one rename, so a reader of
  ``parquet/`` sees yesterday's set or today's, never a mix. The previous
  folder is kept (a reader may be in the middle of it); older ones are removed.
- Anything that fails before the renames leaves the published copy as it was;
  the temporary files are removed.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

DATABASE = "health.duckdb"
PARQUET_LINK = "parquet"
MANIFEST = "manifest.json"
KEEP_PARQUET_FOLDERS = 2


@dataclass(frozen=True)
class PublishedCopy:
    """What was published: where, the tables with their rows, and the as-of date of the current tables."""

    folder: Path
    tables: dict[str, int]
    as_of_date: str | None
    published_at: str
    run_id: str | None = None
    parquet_folder: Path | None = field(default=None)

    @property
    def database(self) -> Path:
        return self.folder / DATABASE


def publish_copy(
    warehouse: Path, folder: Path, run_id: str | None = None, schema: str = "marts"
) -> PublishedCopy:
    """Copy every table of ``schema`` from the ``warehouse`` file into ``folder`` (see the module doc)."""
    folder.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex[:12]
    temporary = folder / f".{DATABASE}.{token}.tmp"
    parquet = folder / f"parquet-{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{token}"
    link = folder / PARQUET_LINK
    new_link = folder / f".{PARQUET_LINK}.{token}.tmp"
    if link.exists() and not link.is_symlink():
        raise RuntimeError(f"{link} is a folder, not the link this job maintains: move it away and re-run")
    try:
        tables, as_of_date = _write_copy(warehouse, temporary, parquet, schema)
        copy = PublishedCopy(
            folder=folder,
            tables=tables,
            as_of_date=as_of_date,
            published_at=datetime.now(UTC).isoformat(timespec="seconds"),
            run_id=run_id,
            parquet_folder=parquet,
        )
        manifest = folder / f".{MANIFEST}.{token}.tmp"
        manifest.write_text(json.dumps(_manifest(copy), indent=2) + "\n")
        new_link.symlink_to(parquet.name, target_is_directory=True)
        # Everything is in place: three renames, nothing left that can fail half-way in between.
        os.replace(temporary, folder / DATABASE)
        os.replace(new_link, link)
        os.replace(manifest, folder / MANIFEST)
    except BaseException:
        temporary.unlink(missing_ok=True)
        new_link.unlink(missing_ok=True)
        (folder / f".{MANIFEST}.{token}.tmp").unlink(missing_ok=True)
        if parquet.exists() and (folder / PARQUET_LINK).resolve() != parquet.resolve():
            shutil.rmtree(parquet, ignore_errors=True)
        raise
    _remove_old_parquet(folder)
    return copy


def _write_copy(
    warehouse: Path, database: Path, parquet: Path, schema: str
) -> tuple[dict[str, int], str | None]:
    parquet.mkdir()
    tables: dict[str, int] = {}
    with duckdb.connect(str(database)) as con:
        con.execute(f"attach '{warehouse}' as source (read_only)")
        names = [
            name
            for (name,) in con.execute(
                """select table_name from duckdb_tables() where database_name = 'source' and schema_name = ?
                   order by table_name""",
                [schema],
            ).fetchall()
        ]
        if not names:
            raise RuntimeError(f"{warehouse} has no tables in schema {schema}: nothing to publish")
        con.execute(f"create schema {schema}")
        for name in names:
            con.execute(f'create table {schema}."{name}" as select * from source.{schema}."{name}"')
            con.execute(f"copy {schema}.\"{name}\" to '{parquet / (name + '.parquet')}' (format parquet)")
            tables[name] = con.execute(f'select count(*) from {schema}."{name}"').fetchone()[0]
        as_of_date = None
        if "customer_health" in names:
            day = con.execute(f"select max(as_of_date) from {schema}.customer_health").fetchone()[0]
            as_of_date = None if day is None else str(day)
        con.execute("detach source")
        con.execute("checkpoint")
    return tables, as_of_date


def _manifest(copy: PublishedCopy) -> dict:
    return {
        "published_at": copy.published_at,
        "run_id": copy.run_id,
        "as_of_date": copy.as_of_date,
        "database": DATABASE,
        "parquet": PARQUET_LINK,
        "tables": copy.tables,
    }


def _remove_old_parquet(folder: Path) -> None:
    current = (folder / PARQUET_LINK).resolve()
    versions = sorted(p for p in folder.glob("parquet-*") if p.is_dir())
    keep = set(versions[-KEEP_PARQUET_FOLDERS:]) | {current}
    for version in versions:
        if version not in keep:
            shutil.rmtree(version, ignore_errors=True)
