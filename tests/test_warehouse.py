"""The warehouse door: path resolution at run time, atomic table writes, the env handed to dbt."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import date, timedelta

import duckdb
import pandas as pd
import pytest

from dagster_project.warehouse.contract import Column, ContractError, PublishedTable
from dagster_project.warehouse.engines import duckdb_engine
from dagster_project.warehouse.resource import Query, Warehouse, WarehouseBusyError


@pytest.fixture(params=["duckdb", "postgres", "spark"])
def warehouse(request, tmp_path) -> Warehouse:
    """An empty warehouse on each engine: a DuckDB file, a new database on the test PostgreSQL server, or
    Spark's warehouse with its schemas emptied."""
    if request.param == "spark":
        warehouse = Warehouse(path=str(request.getfixturevalue("spark_folder") / "w.duckdb"), target="spark")
        with warehouse.session() as session:
            for schema, _ in {(s, None) for s, _ in warehouse.tables()}:
                session.execute(f"drop schema {schema} cascade")
        return warehouse
    if request.param == "postgres":
        server = request.getfixturevalue("postgres")
        dsn = server.create_database(f"test_{uuid.uuid4().hex[:12]}")
        return Warehouse(path=str(tmp_path / "w.duckdb"), target="postgres", pg_dsn=dsn)
    return Warehouse(path=str(tmp_path / "w.duckdb"))


def test_path_comes_from_the_environment_when_the_run_starts(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HEALTH_WAREHOUSE", raising=False)
    warehouse = Warehouse()
    assert warehouse.file == tmp_path / "data" / "warehouse.duckdb"
    monkeypatch.setenv("HEALTH_WAREHOUSE", "elsewhere/w.duckdb")
    assert warehouse.file == tmp_path / "elsewhere" / "w.duckdb"
    assert Warehouse(path=str(tmp_path / "x.duckdb")).file == tmp_path / "x.duckdb"


def test_write_table_replaces_and_query_reads(warehouse):
    assert (
        warehouse.write_table("marts.scores", pd.DataFrame({"account_id": ["a", "b"], "score": [1, 2]})) == 2
    )
    assert warehouse.write_table("marts.scores", pd.DataFrame({"account_id": ["c"], "score": [3]})) == 1
    assert warehouse.query("select * from marts.scores").to_dict("records") == [
        {"account_id": "c", "score": 3}
    ]
    assert warehouse.scalar("select sum(score) from marts.scores") == 3


def test_reading_a_warehouse_that_does_not_exist_says_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match="make run"):
        Warehouse(path=str(tmp_path / "missing.duckdb")).query("select 1")


def test_dbt_is_given_the_absolute_path_and_the_environment_is_restored(monkeypatch, tmp_path):
    monkeypatch.setenv("HEALTH_WAREHOUSE", "before.duckdb")
    warehouse = Warehouse(path=str(tmp_path / "w.duckdb"))
    with warehouse.exported_to_env():
        assert os.environ["HEALTH_WAREHOUSE"] == str(tmp_path / "w.duckdb")
    assert os.environ["HEALTH_WAREHOUSE"] == "before.duckdb"


def test_replace_rows_replaces_by_key_and_creates_the_table(warehouse):
    warehouse.replace_rows(
        "marts.models", pd.DataFrame({"version": ["v1", "v2"], "auc": [0.7, 0.8]}), key="version"
    )
    assert (
        warehouse.replace_rows("marts.models", pd.DataFrame({"version": ["v2"], "auc": [0.9]}), key="version")
        == 2
    )
    assert warehouse.query("select * from marts.models order by version").to_dict("records") == [
        {"version": "v1", "auc": 0.7},
        {"version": "v2", "auc": 0.9},
    ]


DAILY = PublishedTable(
    name="marts.daily",
    description="A daily table for the tests.",
    columns=(
        Column("as_of_date", "date", "Day."),
        Column("account_id", "varchar", "Id."),
        Column("score", "double", "S."),
    ),
)


def test_replace_dates_replaces_only_its_window(warehouse):
    days = [date(2026, 1, d) for d in (1, 2, 3)]
    first = pd.DataFrame({"as_of_date": days, "account_id": "a", "score": [1.0, 2.0, 3.0]})
    assert warehouse.replace_dates(DAILY, first, days[0], days[2] + timedelta(days=1)) == 3
    # Re-running 2 January replaces it and leaves the other days alone.
    again = pd.DataFrame({"score": [20.0], "account_id": ["a"], "as_of_date": [days[1]]})
    assert warehouse.replace_dates(DAILY, again, days[1], days[2]) == 3
    assert warehouse.query("select score from marts.daily order by as_of_date")["score"].tolist() == [
        1,
        20,
        3,
    ]
    assert warehouse.date_range("marts.daily") == (days[0], days[2] + timedelta(days=1))
    # Rows computed in the warehouse go the same way, without passing through Python.
    query = Query(
        "select as_of_date, account_id, score * 10 as score from marts.daily where as_of_date = ?", [days[0]]
    )
    assert warehouse.replace_dates(DAILY, query, days[0], days[1]) == 3
    assert warehouse.query("select score from marts.daily order by as_of_date")["score"].tolist() == [
        10,
        20,
        3,
    ]
    assert DAILY.matches(warehouse.columns("marts.daily"))


def test_rows_outside_the_window_or_the_contract_change_nothing(warehouse):
    day = date(2026, 1, 1)
    warehouse.replace_dates(
        DAILY,
        pd.DataFrame({"as_of_date": [day], "account_id": ["a"], "score": [1.0]}),
        day,
        day + timedelta(days=1),
    )
    late = pd.DataFrame({"as_of_date": [day + timedelta(days=1)], "account_id": ["a"], "score": [9.0]})
    with pytest.raises(
        ValueError, match=r"marts.daily: rows from 2026-01-02 to 2026-01-02 do not fit the window"
    ):
        warehouse.replace_dates(DAILY, late, day, day + timedelta(days=1))
    with pytest.raises(ContractError, match=r"missing columns \['score'\], unexpected columns \['points'\]"):
        warehouse.replace_dates(DAILY, late.rename(columns={"score": "points"}), day, day + timedelta(days=2))
    with pytest.raises(ContractError, match=r"unexpected columns \['extra'\]"):
        warehouse.replace_dates(
            DAILY, Query("select *, 1 as extra from marts.daily"), day, day + timedelta(days=1)
        )
    assert warehouse.query("select score from marts.daily")["score"].tolist() == [1.0]


def test_a_warehouse_held_by_another_process_fails_clearly_and_changes_nothing(tmp_path):
    warehouse = Warehouse(path=str(tmp_path / "w.duckdb"), busy_timeout_seconds=1)
    warehouse.write_table("marts.scores", pd.DataFrame({"score": [1]}))
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, sys; c = duckdb.connect({str(warehouse.file)!r}); "
            "print('held', flush=True); sys.stdin.readline()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(
            WarehouseBusyError, match=r"is locked by another process: another run is writing it"
        ):
            warehouse.write_table("marts.scores", pd.DataFrame({"score": [2]}))
    finally:
        holder.communicate("done\n", timeout=30)
    assert warehouse.query("select score from marts.scores")["score"].tolist() == [1]


def test_insert_new_keeps_rows_already_there(warehouse):
    alerts = pd.DataFrame({"alert_id": ["a1", "a2"], "status": ["pending", "pending"]})
    assert warehouse.insert_new("marts.alerts", alerts, key="alert_id") == 2
    warehouse.execute("update marts.alerts set status = 'sent' where alert_id = ?", ["a1"])
    again = pd.DataFrame({"alert_id": ["a1", "a3"], "status": ["pending", "pending"]})
    assert warehouse.insert_new("marts.alerts", again, key="alert_id") == 1
    rows = warehouse.query("select alert_id, status from marts.alerts order by alert_id")
    assert rows.to_dict("records") == [
        {"alert_id": "a1", "status": "sent"},
        {"alert_id": "a2", "status": "pending"},
        {"alert_id": "a3", "status": "pending"},
    ]
    claimed = warehouse.execute(
        "update marts.alerts set status = 'claimed' where status = ? returning alert_id", ["pending"]
    )
    assert sorted(claimed["alert_id"]) == ["a2", "a3"]


def test_a_contract_table_keeps_its_types_and_reads_back_as_on_duckdb(warehouse):
    day = date(2026, 1, 2)
    warehouse.write_table(DAILY, pd.DataFrame({"as_of_date": [day], "account_id": ["a"], "score": [0.5]}))
    assert warehouse.columns("marts.daily") == [
        ("as_of_date", "DATE"),
        ("account_id", "VARCHAR"),
        ("score", "DOUBLE"),
    ]
    assert ("marts", "daily") in warehouse.tables()
    read = warehouse.query(
        "select as_of_date, account_id, score, cast(1.25 as decimal(18, 2)) as m from marts.daily"
    )
    # DuckDB's conversions on every engine: dates as datetime64, decimals as floats.
    assert str(read["as_of_date"].dtype).startswith("datetime64")
    assert read.iloc[0].to_dict() == {
        "as_of_date": pd.Timestamp(day),
        "account_id": "a",
        "score": 0.5,
        "m": 1.25,
    }
    assert warehouse.scalar("select count(*) from marts.daily where account_id like ?", ["%a%"]) == 1


def test_an_empty_frame_or_column_lands_with_the_contract_types(warehouse):
    # No values to infer types from: a frame built from the column names alone (a model with nothing to say).
    assert warehouse.write_table(DAILY, pd.DataFrame(columns=DAILY.column_names)) == 0
    assert warehouse.columns("marts.daily") == [
        ("as_of_date", "DATE"),
        ("account_id", "VARCHAR"),
        ("score", "DOUBLE"),
    ]
    assert warehouse.replace_rows(DAILY, pd.DataFrame(columns=DAILY.column_names), key="account_id") == 0
    # Rows, but a column without a single value (a share nobody could compute yet).
    unknown = pd.DataFrame({"as_of_date": [None], "account_id": ["a"], "score": [None]})
    assert warehouse.write_table(DAILY, unknown) == 1
    assert warehouse.query("select count(*) as n from marts.daily where score is null")["n"].iloc[0] == 1


def test_a_fingerprint_ignores_row_order_and_sees_any_change(warehouse):
    rows = pd.DataFrame({"account_id": ["a", "b", "c"], "score": [1.0, 2.0, 3.0]})
    warehouse.write_table("marts.scores", rows)
    first = warehouse.fingerprint("select * from marts.scores order by account_id")
    assert first.startswith("3:")
    warehouse.write_table(
        "marts.scores", pd.DataFrame({"account_id": ["c", "b", "a"], "score": [3.0, 2.0, 1.0]})
    )
    assert warehouse.fingerprint("select * from marts.scores order by score desc") == first
    warehouse.write_table("marts.scores", rows.assign(score=[1.0, 2.0, 3.5]))
    assert warehouse.fingerprint("select * from marts.scores") != first
    assert warehouse.fingerprint("select * from marts.scores where score > ?", [1.5]).startswith("2:")


def _other_process_writes(file, statement: str) -> subprocess.CompletedProcess:
    """Run ``statement`` on the DuckDB file from another process, as dbt or another run would."""
    code = f"import duckdb; duckdb.connect({str(file)!r}).execute({statement!r})"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_a_run_keeps_the_file_open_between_sessions_and_lends_it_to_dbt(tmp_path):
    warehouse = Warehouse(path=str(tmp_path / "w.duckdb"), busy_timeout_seconds=0.5)
    warehouse.write_table("marts.scores", pd.DataFrame({"score": [1]}))
    with warehouse.held_for("run-1"):
        warehouse.write_table("marts.scores", pd.DataFrame({"score": [2]}))
        # Between two sessions of the run, the file stays this process's: no other writer gets in.
        held = _other_process_writes(warehouse.file, "insert into marts.scores values (9)")
        assert held.returncode != 0 and "lock" in held.stderr.lower()
        with warehouse.exported_to_env():  # what the dbt step does while dbt runs
            lent = _other_process_writes(warehouse.file, "insert into marts.scores values (3)")
        assert lent.returncode == 0, lent.stderr[-2000:]
        # Once dbt is done the run opens the file again and reads what dbt wrote, not a stale copy.
        assert sorted(warehouse.query("select score from marts.scores")["score"]) == [2, 3]
        with pytest.raises(duckdb.Error), warehouse.session() as session, session.transaction():
            session.execute("insert into marts.scores values (4)")
            session.execute("select * from no_such_table")
        # A failed session rolled back alone: the held connection goes on.
        assert sorted(warehouse.query("select score from marts.scores")["score"]) == [2, 3]
    # After the run another process has the file, with every write of the run in it.
    after = _other_process_writes(warehouse.file, "insert into marts.scores values (5)")
    assert after.returncode == 0, after.stderr[-2000:]
    assert sorted(warehouse.query("select score from marts.scores")["score"]) == [2, 3, 5]


def test_a_held_connection_gives_back_the_memory_of_what_a_session_read(tmp_path, monkeypatch):
    monkeypatch.setattr(duckdb_engine, "KEPT_BUFFER_BYTES", 4 * 2**20)
    warehouse = Warehouse(path=str(tmp_path / "w.duckdb"))
    with warehouse.session() as session:
        session.execute("create table big as select range as n, md5(range::varchar) as h from range(2000000)")
    in_use = "select sum(memory_usage_bytes) from duckdb_memory()"
    with warehouse.held_for("run-1"), warehouse.session() as session:
        session.fetchall("select count(distinct h) from big")
        # Measured while the session's connection is open: the blocks it read are cached (about 90 MB).
        assert session.fetchone(in_use)[0] > 16 * 2**20
        session.fetchall("select 1")
    with warehouse.held_for("run-1"):
        warehouse.scalar("select count(distinct h) from big")
        assert warehouse.scalar(in_use) <= 4 * 2**20


def test_a_session_inside_another_leaves_its_uncommitted_rows_alone(tmp_path, monkeypatch):
    monkeypatch.setattr(duckdb_engine, "KEPT_BUFFER_BYTES", 4 * 2**20)
    warehouse = Warehouse(path=str(tmp_path / "w.duckdb"))
    with warehouse.held_for("run-1"), warehouse.session() as outer, outer.transaction():
        outer.execute("create table big as select range as n, md5(range::varchar) as h from range(1000000)")
        # An inner session ends while the outer one's rows are not committed yet (more than the 4 MB kept).
        assert warehouse.scalar("select 1") == 1
        outer.execute("insert into big values (-1, 'last')")
    assert warehouse.scalar("select count(*) from big") == 1_000_001


def test_a_spark_warehouse_lent_to_dbt_is_free_for_its_process_and_closed_to_this_one(spark_folder):
    warehouse = Warehouse(path=str(spark_folder / "w.duckdb"), target="spark")
    warehouse.write_table("marts.scores", pd.DataFrame({"account_id": ["a", "b"], "score": [1, 2]}))
    engine = warehouse.engine
    # What dbt's own Spark does: open the same metastore, read the table this process wrote.
    settings = {key: value for key, value in engine.conf().items() if key != "spark.master"}
    reader = (
        "import sys; from pyspark.sql import SparkSession; b = SparkSession.builder.master('local[1]')"
        ".enableHiveSupport()\n"
        f"for k, v in {settings!r}.items(): b = b.config(k, v)\n"
        "print(b.getOrCreate().sql('select sum(score) from marts.scores').first()[0])"
    )
    with warehouse.exported_to_env():
        with pytest.raises(RuntimeError, match=r"metastore .* is lent to another process \(dbt\)"):
            warehouse.query("select 1")
        read = subprocess.run([sys.executable, "-c", reader], capture_output=True, text=True, timeout=300)
    assert read.returncode == 0, read.stderr[-2000:]
    assert read.stdout.strip().splitlines()[-1] == "3"
    # Once dbt is done, this process opens the warehouse again.
    assert warehouse.scalar("select count(*) from marts.scores") == 2


def test_a_spark_of_its_own_starts_after_a_remote_spark_was_used(spark_folder, monkeypatch):
    from dagster_project.warehouse.engines.spark_engine import release

    # What pyspark leaves in the environment once a Spark Connect session has started in this process.
    release()
    monkeypatch.setenv("SPARK_CONNECT_MODE_ENABLED", "1")
    warehouse = Warehouse(path=str(spark_folder / "w.duckdb"), target="spark")
    warehouse.write_table("marts.scores", pd.DataFrame({"score": [1, 2]}))
    assert warehouse.scalar("select sum(score) from marts.scores") == 3


@pytest.mark.engines
def test_dbt_and_the_python_assets_must_reach_the_same_spark(monkeypatch, tmp_path):
    monkeypatch.setenv("HEALTH_SPARK_METHOD", "thrift")
    monkeypatch.delenv("HEALTH_SPARK_REMOTE", raising=False)
    with pytest.raises(ValueError, match=r"would use different Sparks.*HEALTH_SPARK_REMOTE=sc://host:15002"):
        _ = Warehouse(path=str(tmp_path / "w.duckdb"), target="spark").location
    monkeypatch.setenv("HEALTH_SPARK_REMOTE", "sc://spark.internal:15002")
    engine = Warehouse(path=str(tmp_path / "w.duckdb"), target="spark").engine
    assert engine.location == "spark:sc://spark.internal:15002"
    assert engine.lake == str(tmp_path / "lake")
    monkeypatch.setenv("HEALTH_SPARK_METHOD", "session")
    with pytest.raises(ValueError, match="would use different Sparks"):
        _ = Warehouse(path=str(tmp_path / "w.duckdb"), target="spark").location


def test_parameters_keep_their_order_when_a_subquery_has_a_cte(warehouse):
    # sqlglot moves the CTE out of the subquery for Spark, and the parameter inside it with it.
    warehouse.write_table("marts.scores", pd.DataFrame({"score": [1]}))
    rows = warehouse.query(
        """select counted.n, cast(? as varchar) as tag
           from (with bounds as (select cast(? as integer) as n) select n from bounds) as counted
           where counted.n < ?""",
        ["x", 1, 5],
    )
    assert rows.to_dict("records") == [{"n": 1, "tag": "x"}]
