"""The warehouse engines behind `Warehouse`: DuckDB (default), PostgreSQL and Spark."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from dagster_project.settings import env_or
from dagster_project.warehouse.engines.base import Engine, Query, Rows, Session
from dagster_project.warehouse.engines.duckdb_engine import DuckDBEngine, WarehouseBusyError

TARGETS = ("duckdb", "postgres", "spark")

__all__ = ["TARGETS", "Engine", "Query", "Rows", "Session", "WarehouseBusyError", "engine_for"]


def engine_for(
    target: str, *, file: Path, busy_timeout_seconds: float, memory_limit: str, pg_dsn: str | None
) -> Engine:
    """The engine of ``target``, its connection settings read from the environment now (at run time)."""
    if target == "duckdb":
        return DuckDBEngine(file=file, busy_timeout_seconds=busy_timeout_seconds, memory_limit=memory_limit)
    if target in ("postgres", "spark"):
        _check_extra(target)
    if target == "postgres":
        # Imported here: psycopg is only needed where PostgreSQL is the warehouse.
        from dagster_project.warehouse.engines.postgres_engine import PostgresEngine

        dsn = pg_dsn or env_or("HEALTH_PG_DSN")
        if dsn:
            return PostgresEngine.from_dsn(dsn)
        return PostgresEngine(
            host=env_or("HEALTH_PG_HOST", "127.0.0.1"),
            port=int(env_or("HEALTH_PG_PORT", "5432")),
            user=env_or("HEALTH_PG_USER", "health"),
            password=env_or("HEALTH_PG_PASSWORD", ""),
            dbname=env_or("HEALTH_PG_DATABASE", "customer_health"),
        )
    if target == "spark":
        from dagster_project.warehouse.engines.spark_engine import SparkEngine

        return SparkEngine.from_env(file.parent)
    raise ValueError(f"unknown warehouse target {target!r}: use one of {', '.join(TARGETS)}")


# The module each engine's extra installs: a missing one says how to add it, instead of an import error.
_EXTRA_MODULES = {"postgres": "psycopg2", "spark": "pyspark"}


def _check_extra(target: str) -> None:
    if importlib.util.find_spec(_EXTRA_MODULES[target]) is None:
        raise ValueError(
            f"HEALTH_TARGET={target} needs {target}'s drivers, which `make run` does not install: "
            f'.venv/bin/pip install -c constraints.txt -e ".[{target}]" (or `make test-engines`, which '
            "installs both)"
        )
