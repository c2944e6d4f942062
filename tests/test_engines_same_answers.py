"""The whole job on PostgreSQL and on Spark gives the published tables it gives on DuckDB.

Each engine builds the small demo from nothing into its own warehouse; the BI copies they publish
(health.duckdb) are compared table by table: the same tables, columns and rows; dates, integers and
flags equal. The stated tolerance: doubles within `RELATIVE` of each other (engines add them in
different orders); a decimal within one unit of its last place (a double exactly on a tie, such as
75.625, is rounded up by one engine and down by another); and a text that quotes numbers (the score's
drivers) equal but for its digits, in at most `TIES` of the rows. Columns that differ by design between
two runs are left out.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.conftest import SMALL_DEMO
from tests.pipeline import RUN_SPECIFIC, materialise

RELATIVE = 1e-6
ABSOLUTE = 1e-9
TIES = 0.001
# Texts that quote rounded numbers.
QUOTING_NUMBERS = {"drivers", "held_down_by"}


def decimal_places(database: Path) -> dict[tuple[str, str], int]:
    """The scale of every decimal column of the BI copy, by (table, column)."""
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute(
            "select table_name, column_name, numeric_scale from information_schema.columns "
            "where table_schema = 'marts' and data_type like 'DECIMAL%'"
        ).fetchall()
    return {(table, column): scale for table, column, scale in rows}


def published_tables(database: Path) -> dict[str, pd.DataFrame]:
    """Every table of the BI copy, its rows in a canonical order (by every column, numbers last)."""
    frames = {}
    with duckdb.connect(str(database), read_only=True) as con:
        names = [
            n
            for (n,) in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'marts'"
            ).fetchall()
        ]
        for name in sorted(names):
            frame = con.execute(f'select * from marts."{name}"').df()
            frame = frame.drop(columns=list(RUN_SPECIFIC.get(f"marts.{name}", ())))
            exact = [
                c
                for c in frame.columns
                if not pd.api.types.is_float_dtype(frame[c]) and c not in QUOTING_NUMBERS
            ]
            floats = [c for c in frame.columns if c not in exact]
            frames[name] = frame.sort_values(exact + floats, kind="stable").reset_index(drop=True)
    return frames


def assert_same_published_tables(found: Path, expected: Path) -> None:
    found_tables, expected_tables = published_tables(found), published_tables(expected)
    scales = decimal_places(expected)
    assert sorted(found_tables) == sorted(expected_tables)
    assert len(expected_tables) > 10
    for name, want in expected_tables.items():
        got = found_tables[name]
        assert list(got.columns) == list(want.columns), name
        assert len(got) == len(want), f"{name}: {len(got)} rows, DuckDB has {len(want)}"
        for column in want.columns:
            where = f"marts.{name}.{column}"
            if column in QUOTING_NUMBERS:
                digits = r"[0-9]"
                assert (
                    got[column].str.replace(digits, "", regex=True)
                    == want[column].str.replace(digits, "", regex=True)
                ).all(), where
                assert (got[column] != want[column]).mean() <= TIES, where
            elif (name, column) in scales:
                unit = 10.0 ** -scales[name, column]
                difference = (got[column].astype(float) - want[column].astype(float)).abs()
                assert (difference.fillna(0) <= unit + ABSOLUTE).all(), where
                assert (got[column].isna() == want[column].isna()).all(), where
            else:
                pd.testing.assert_series_equal(
                    got[column],
                    want[column],
                    check_dtype=False,
                    check_exact=False,
                    rtol=RELATIVE,
                    atol=ABSOLUTE,
                    obj=where,
                )


@pytest.mark.engine_job
def test_postgres_publishes_what_duckdb_publishes(demo_run, postgres, tmp_path):
    _, duckdb_warehouse = demo_run
    dsn = postgres.create_database("same_answers")
    result = materialise(tmp_path / "warehouse.duckdb", target="postgres", pg_dsn=dsn, **SMALL_DEMO)
    assert result.success
    assert not (tmp_path / "warehouse.duckdb").exists(), "the PostgreSQL run wrote a DuckDB warehouse"
    assert_same_published_tables(
        tmp_path / "published" / "health.duckdb", duckdb_warehouse.parent / "published" / "health.duckdb"
    )


@pytest.mark.engine_job
def test_spark_publishes_what_duckdb_publishes(demo_run, spark_folder):
    _, duckdb_warehouse = demo_run
    result = materialise(spark_folder / "warehouse.duckdb", target="spark", **SMALL_DEMO)
    assert result.success
    assert not (spark_folder / "warehouse.duckdb").exists(), "the Spark run wrote a DuckDB warehouse"
    # The raw events are in the lake, a folder per day, as Parquet that DuckDB reads.
    events = spark_folder / "lake" / "raw" / "intercom_events"
    with duckdb.connect() as con:
        days, rows = con.execute(
            f"select count(distinct occurred_on), count(*) "
            f"from read_parquet('{events}/*/*.parquet', hive_partitioning = true)"
        ).fetchone()
        con.execute(f"attach '{duckdb_warehouse}' as duck (read_only)")
        expected = con.execute(
            "select count(distinct cast(occurred_at as date)), count(*) from duck.raw.intercom_events"
        ).fetchone()
    assert (days, rows) == expected and rows > 0
    assert len(list(events.glob("occurred_on=*"))) == days
    assert_same_published_tables(
        spark_folder / "published" / "health.duckdb", duckdb_warehouse.parent / "published" / "health.duckdb"
    )


@pytest.mark.engine_job
def test_spark_on_a_server_publishes_what_duckdb_publishes(demo_run, spark_server, tmp_path, monkeypatch):
    """As on a cluster: dbt through the Thrift server, the Python assets through Spark Connect."""
    _, duckdb_warehouse = demo_run
    for name, value in spark_server.env().items():
        monkeypatch.setenv(name, value)
    result = materialise(tmp_path / "warehouse.duckdb", target="spark", **SMALL_DEMO)
    assert result.success
    assert not (tmp_path / "warehouse.duckdb").exists() and not (tmp_path / "spark").exists()
    assert list((spark_server.lake / "raw" / "intercom_events").glob("occurred_on=*"))
    assert_same_published_tables(
        tmp_path / "published" / "health.duckdb", duckdb_warehouse.parent / "published" / "health.duckdb"
    )
