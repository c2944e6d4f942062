"""The copy for BI tools: complete, swapped in atomically, never blocked by a reader, safe on failure."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import date

import duckdb
import pandas as pd
import pytest

from dagster_project.publishing import publish_copy
from dagster_project.warehouse.resource import Warehouse


def make_warehouse(path, accounts: int) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute("create schema intermediate")
        con.execute(
            "create table marts.customer_health as "
            f"select 'a' || i as account_id, date '2026-06-30' as as_of_date from range({accounts}) t(i)"
        )
        con.execute("create table marts.mrr_daily as select i as mrr from range(3) t(i)")
        con.execute("create table intermediate.not_published as select 1 as x")


def test_every_published_table_is_copied_to_duckdb_and_parquet_with_a_manifest(tmp_path):
    warehouse, folder = tmp_path / "w.duckdb", tmp_path / "published"
    make_warehouse(warehouse, accounts=5)
    copy = publish_copy(warehouse, folder, run_id="run-1")
    assert copy.tables == {"customer_health": 5, "mrr_daily": 3}
    with duckdb.connect(str(folder / "health.duckdb"), read_only=True) as con:
        tables = con.execute("select schema_name, table_name from duckdb_tables() order by 2").fetchall()
        assert tables == [("marts", "customer_health"), ("marts", "mrr_daily")]
    # A dated table is a folder of monthly files, an undated one a file
    assert [p.name for p in (folder / "parquet" / "customer_health").iterdir()] == ["2026-06.parquet"]
    assert len(pd.read_parquet(folder / "parquet" / "customer_health")) == 5
    assert len(pd.read_parquet(folder / "parquet" / "mrr_daily.parquet")) == 3
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["as_of_date"] == "2026-06-30" and manifest["run_id"] == "run-1"
    assert manifest["tables"] == {"customer_health": 5, "mrr_daily": 3}
    assert not list(folder.glob(".*tmp"))


def test_a_reader_holding_the_old_copy_neither_blocks_nor_sees_the_new_one(tmp_path):
    warehouse, folder = tmp_path / "w.duckdb", tmp_path / "published"
    make_warehouse(warehouse, accounts=5)
    publish_copy(warehouse, folder)
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import duckdb, sys
                con = duckdb.connect({str(folder / "health.duckdb")!r}, read_only=True)
                print(con.execute("select count(*) from marts.customer_health").fetchone()[0], flush=True)
                sys.stdin.readline()  # hold the file open while the job publishes again
                print(con.execute("select count(*) from marts.customer_health").fetchone()[0], flush=True)
                """
            ),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout.readline().strip() == "5"
        (tmp_path / "w.duckdb").unlink()
        make_warehouse(warehouse, accounts=8)
        publish_copy(warehouse, folder)  # must not wait for the reader
        out, _ = reader.communicate("go\n", timeout=60)
    finally:
        reader.kill()
    assert out.strip() == "5"  # the open connection still reads the copy it opened
    with duckdb.connect(str(folder / "health.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from marts.customer_health").fetchone()[0] == 8


def test_a_failed_publish_leaves_the_last_copy_in_place(tmp_path):
    warehouse, folder = tmp_path / "w.duckdb", tmp_path / "published"
    make_warehouse(warehouse, accounts=5)
    publish_copy(warehouse, folder)
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    with pytest.raises(RuntimeError, match="no tables in schema marts: nothing to publish"):
        publish_copy(empty, folder)
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == before
    assert len(pd.read_parquet(folder / "parquet" / "customer_health")) == 5


def test_parquet_readers_follow_one_link_and_old_versions_are_pruned(tmp_path):
    warehouse, folder = tmp_path / "w.duckdb", tmp_path / "published"
    make_warehouse(warehouse, accounts=5)
    copies = [publish_copy(warehouse, folder) for _ in range(4)]
    assert (folder / "parquet").resolve() == copies[-1].parquet_folder.resolve()
    kept = sorted(p.name for p in folder.glob("parquet-*"))
    assert kept == sorted(c.parquet_folder.name for c in copies[-2:])


def test_a_foreign_parquet_folder_stops_the_publish_before_anything_is_swapped(tmp_path):
    warehouse, folder = tmp_path / "w.duckdb", tmp_path / "published"
    make_warehouse(warehouse, accounts=5)
    (folder / "parquet").mkdir(parents=True)
    with pytest.raises(RuntimeError, match="is a folder, not the link this job maintains"):
        publish_copy(warehouse, folder)
    assert sorted(p.name for p in folder.iterdir()) == ["parquet"]


def dated_warehouse(path, days: int, score: int = 50) -> None:
    """marts.health_history: accounts a and b from 30 May for ``days`` days (into June and July)."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists marts")
        con.execute(
            "create or replace table marts.health_history as "
            f"select account_id, date '2026-05-30' + cast(d as integer) as as_of_date, {score} as score "
            f"from range({days}) t(d) cross join (values ('a'), ('b')) accounts(account_id)"
        )
        con.execute("create or replace table marts.settings as select 1 as x")


def table_rows(database, table: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(f"select * from marts.{table} order by all").fetchall()


def test_the_next_day_copies_only_the_months_that_changed(tmp_path):
    warehouse, folder = tmp_path / "w.duckdb", tmp_path / "published"
    dated_warehouse(warehouse, days=40)  # 30 May .. 8 July: May 4 rows, June 60, July 16
    first = publish_copy(warehouse, folder)
    assert first.months_copied == {"health_history": ["2026-05", "2026-06", "2026-07"]}
    june = (folder / "parquet" / "health_history" / "2026-06.parquet").resolve()

    dated_warehouse(warehouse, days=41)  # one more day, 9 July
    second = publish_copy(warehouse, folder)
    assert second.months_copied == {"health_history": ["2026-07"]}
    assert second.tables == {"health_history": 82, "settings": 1}
    assert table_rows(folder / "health.duckdb", "health_history") == table_rows(warehouse, "health_history")
    # June's file is the same file as before (hard-linked), July's is new
    parquet = folder / "parquet" / "health_history"
    assert (parquet / "2026-06.parquet").stat().st_ino == june.stat().st_ino
    assert len(pd.read_parquet(parquet / "2026-07.parquet")) == 18
    assert len(pd.read_parquet(parquet)) == 82


def test_a_changed_past_month_is_copied_again_and_a_gone_month_removed(tmp_path):
    warehouse, folder = tmp_path / "w.duckdb", tmp_path / "published"
    dated_warehouse(warehouse, days=40)
    publish_copy(warehouse, folder)
    with duckdb.connect(str(warehouse)) as con:  # a backfill rescored 10 June; May is gone
        con.execute("update marts.health_history set score = 70 where as_of_date = date '2026-06-10'")
        con.execute("delete from marts.health_history where as_of_date < date '2026-06-01'")
    copy = publish_copy(warehouse, folder)
    assert copy.months_copied == {"health_history": ["2026-06"]}
    assert table_rows(folder / "health.duckdb", "health_history") == table_rows(warehouse, "health_history")
    assert sorted(p.name for p in (folder / "parquet" / "health_history").iterdir()) == [
        "2026-06.parquet",
        "2026-07.parquet",
    ]


def test_rows_without_a_date_are_published_as_their_own_month(tmp_path):
    warehouse, folder = tmp_path / "w.duckdb", tmp_path / "published"
    dated_warehouse(warehouse, days=40)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("insert into marts.health_history (account_id, as_of_date, score) values ('x', null, 1)")
    publish_copy(warehouse, folder)
    parquet = folder / "parquet" / "health_history"
    assert len(pd.read_parquet(parquet / "none.parquet")) == 1
    with duckdb.connect(str(warehouse)) as con:  # the undated row changes, and a June day
        con.execute("update marts.health_history set score = 2 where as_of_date is null")
        con.execute("update marts.health_history set score = 70 where as_of_date = date '2026-06-10'")
    copy = publish_copy(warehouse, folder)
    assert copy.months_copied == {"health_history": ["2026-06", "none"]}
    assert table_rows(folder / "health.duckdb", "health_history") == table_rows(warehouse, "health_history")
    assert pd.read_parquet(parquet / "none.parquet")["score"].tolist() == [2]
    assert len(pd.read_parquet(parquet / "2026-06.parquet")) == 60


def test_a_copy_that_differs_from_its_manifest_or_new_columns_are_copied_whole(tmp_path):
    warehouse, folder = tmp_path / "w.duckdb", tmp_path / "published"
    dated_warehouse(warehouse, days=40)
    publish_copy(warehouse, folder)
    with duckdb.connect(str(folder / "health.duckdb")) as con:  # someone edited the published copy
        con.execute("delete from marts.health_history where account_id = 'a'")
    copy = publish_copy(warehouse, folder)
    assert copy.months_copied == {"health_history": ["2026-05", "2026-06", "2026-07"]}
    assert table_rows(folder / "health.duckdb", "health_history") == table_rows(warehouse, "health_history")

    with duckdb.connect(str(warehouse)) as con:
        con.execute("alter table marts.health_history add column grade varchar default 'B'")
    copy = publish_copy(warehouse, folder)
    assert copy.months_copied == {"health_history": ["2026-05", "2026-06", "2026-07"]}
    assert table_rows(folder / "health.duckdb", "health_history") == table_rows(warehouse, "health_history")
    assert list(pd.read_parquet(folder / "parquet" / "health_history").columns) == [
        "account_id",
        "as_of_date",
        "score",
        "grade",
    ]


# The log of rewritten days: the histories' writes through the Warehouse resource log the days they
# replace, and the copy replaces exactly those.


def history_rows(first: str, days: int, score: int = 50) -> pd.DataFrame:
    """Accounts a and b on ``days`` days from ``first``."""
    dates = pd.date_range(first, periods=days, freq="D").date
    return pd.DataFrame(
        [{"account_id": a, "as_of_date": d, "score": score} for d in dates for a in ("a", "b")]
    )


def logged_warehouse(path) -> Warehouse:
    """marts.health_history written by the resource: 30 May .. 8 July (May 4 rows, June 60, July 16)."""
    warehouse = Warehouse(path=str(path))
    warehouse.replace_dates("marts.health_history", history_rows("2026-05-30", 40), *WINDOW_40)
    warehouse.write_table("marts.settings", pd.DataFrame({"x": [1]}))
    return warehouse


WINDOW_40 = (date(2026, 5, 30), date(2026, 7, 9))


def test_the_logged_next_day_is_copied_without_reading_the_past_months_rows(tmp_path):
    warehouse_file, folder = tmp_path / "w.duckdb", tmp_path / "published"
    warehouse = logged_warehouse(warehouse_file)
    first = publish_copy(warehouse_file, folder)
    assert first.months_copied == {"health_history": ["2026-05", "2026-06", "2026-07"]}
    assert json.loads((folder / "manifest.json").read_text())["rewrite_log"]["position"] == 2

    # A change the log does not hold (an update by hand of a June score, same row count)...
    with duckdb.connect(str(warehouse_file)) as con:
        con.execute("update marts.health_history set score = 99 where as_of_date = date '2026-06-10'")
    # ...and the next day, 9 July, written by the resource
    warehouse.replace_dates(
        "marts.health_history", history_rows("2026-07-09", 1), date(2026, 7, 9), date(2026, 7, 10)
    )
    second = publish_copy(warehouse_file, folder)
    assert second.months_copied == {"health_history": ["2026-07"]}
    assert second.tables == {"health_history": 82, "settings": 1}
    rows = table_rows(folder / "health.duckdb", "health_history")
    assert ("a", date(2026, 7, 9), 50) in rows
    # June was not read again: its hand-made change is not in the copy (the log is what tells)
    assert ("a", date(2026, 6, 10), 50) in rows and ("a", date(2026, 6, 10), 99) not in rows
    assert len(pd.read_parquet(folder / "parquet" / "health_history" / "2026-07.parquet")) == 18


def test_a_month_whose_rows_changed_outside_the_log_or_a_table_written_whole_is_fingerprinted(tmp_path):
    warehouse_file, folder = tmp_path / "w.duckdb", tmp_path / "published"
    warehouse = logged_warehouse(warehouse_file)
    publish_copy(warehouse_file, folder)
    with duckdb.connect(str(warehouse_file)) as con:  # rows deleted by hand: June's count differs
        con.execute("delete from marts.health_history where as_of_date = date '2026-06-10'")
    copy = publish_copy(warehouse_file, folder)
    assert copy.months_copied == {"health_history": ["2026-06"]}
    assert table_rows(folder / "health.duckdb", "health_history") == table_rows(
        warehouse_file, "health_history"
    )

    # Written whole (the log says so): every month fingerprinted, the changed one (June) copied
    whole = history_rows("2026-05-30", 40)
    whole.loc[whole["as_of_date"] == date(2026, 6, 20), "score"] = 70
    warehouse.write_table("marts.health_history", whole)
    copy = publish_copy(warehouse_file, folder)
    assert copy.months_copied == {"health_history": ["2026-06"]}
    assert table_rows(folder / "health.duckdb", "health_history") == table_rows(
        warehouse_file, "health_history"
    )


def test_a_warehouse_built_again_is_not_read_by_its_new_log(tmp_path):
    warehouse_file, folder = tmp_path / "w.duckdb", tmp_path / "published"
    logged_warehouse(warehouse_file)
    publish_copy(warehouse_file, folder)
    warehouse_file.unlink()
    warehouse = logged_warehouse(warehouse_file)  # the same log positions, other lines
    with duckdb.connect(str(warehouse_file)) as con:
        con.execute("update marts.health_history set score = 60 where as_of_date = date '2026-06-10'")
    warehouse.replace_dates(
        "marts.health_history", history_rows("2026-07-09", 1), date(2026, 7, 9), date(2026, 7, 10)
    )
    copy = publish_copy(warehouse_file, folder)
    assert copy.months_copied == {"health_history": ["2026-06", "2026-07"]}
    assert table_rows(folder / "health.duckdb", "health_history") == table_rows(
        warehouse_file, "health_history"
    )


def test_a_table_dated_by_date_is_copied_by_month_like_the_histories(tmp_path):
    """mrr_daily is dated by `date`, not `as_of_date`: a month file each, and a next day whose rebuild
    restated one account's past (a late proration) copies its month and today's, nothing else."""
    warehouse, folder = tmp_path / "w.duckdb", tmp_path / "published"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.mrr_daily as select 'a' || (i % 3) as account_id, "
            "date '2026-04-01' + cast(i // 3 as integer) as date, cast(100 as decimal(18, 2)) as mrr "
            "from range(3 * 91) t(i)"  # 1 April to 30 June, three accounts
        )
    first = publish_copy(warehouse, folder)
    assert first.months_copied == {"mrr_daily": ["2026-04", "2026-05", "2026-06"]}
    assert not (folder / "parquet" / "mrr_daily.parquet").exists()
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "update marts.mrr_daily set mrr = 110 where account_id = 'a1' and date >= date '2026-05-15'"
        )
        con.execute("insert into marts.mrr_daily select 'a' || i, date '2026-07-01', 100 from range(3) t(i)")
    copy = publish_copy(warehouse, folder)
    assert copy.months_copied == {"mrr_daily": ["2026-05", "2026-06", "2026-07"]}
    assert table_rows(folder / "health.duckdb", "mrr_daily") == table_rows(warehouse, "mrr_daily")
    months = sorted(p.name for p in (folder / "parquet" / "mrr_daily").iterdir())
    assert months == ["2026-04.parquet", "2026-05.parquet", "2026-06.parquet", "2026-07.parquet"]
    parquet = pd.read_parquet(folder / "parquet" / "mrr_daily")
    assert len(parquet) == 3 * 92 and float(parquet["mrr"].sum()) == 100 * 3 * 92 + 10 * 47
