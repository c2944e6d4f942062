"""Daily partitions: a run adds its day, and re-running a day replaces it with identical rows.

The small demo is built for 29 June (the first build: all history up to that day), then for 30 June;
a copy of that folder then re-runs 29 June. Every intermediate and published table must be identical to the
straight run and hold no duplicates. A third warehouse builds the history up to 30 June in one run cut
into batches of days, and its daily models must hold the straight run's rows. The benchmark's floor of
one day's measures is taken on a copy of the straight run.
"""

from __future__ import annotations

import csv
import shutil
from datetime import timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project.benchmark.floors import day_measures_floor
from dagster_project.defs.dbt.assets import daily_model_nodes
from dagster_project.defs.worklist.current_signals import CURRENT_SIGNALS_SQL, NOTHING_CARRIED
from dagster_project.defs.worklist.tables import CUSTOMER_SIGNALS
from tests.conftest import SMALL_DEMO
from tests.pipeline import assert_same_tables, materialise

pytestmark = pytest.mark.slow

FIRST, SECOND = "2026-06-29", SMALL_DEMO["demo_end_date"]
SEEDS = Path(__file__).resolve().parents[1] / "seeds"


def build(path, day: str, **settings) -> dg.ExecuteInProcessResult:
    result = materialise(path, partition_key=day, **settings, **SMALL_DEMO)
    assert result.success, day
    return result


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory):
    root = tmp_path_factory.mktemp("partitions")
    straight, rerun = root / "straight" / "warehouse.duckdb", root / "rerun" / "warehouse.duckdb"
    build(straight, FIRST)
    second_day = build(straight, SECOND)
    # The re-run starts from the straight run's folder (warehouse, model files, published copy; the
    # publish folder's `parquet` link is relative, so it is copied as a link).
    shutil.copytree(straight.parent, rerun.parent, symlinks=True)
    build(rerun, FIRST)
    return straight, rerun, second_day


# 127 customers: 51 days per batch, so the 150 days of history take 3 batches.
ACCOUNT_DAYS_PER_BATCH = 6_500


@pytest.fixture(scope="module")
def batched(tmp_path_factory):
    path = tmp_path_factory.mktemp("batched") / "warehouse.duckdb"
    with dg.DagsterInstance.ephemeral() as instance:
        result = materialise(
            path, SECOND, history_batch_account_days=ACCOUNT_DAYS_PER_BATCH, instance=instance, **SMALL_DEMO
        )
        assert result.success
        logged = [entry.user_message for entry in instance.all_logs(result.run_id)]
    return path, logged


def test_the_second_day_is_added_to_the_history(warehouses):
    straight, _, _ = warehouses
    with duckdb.connect(str(straight), read_only=True) as con:
        days = con.execute(
            "select min(as_of_date), max(as_of_date) from marts.customer_health_history"
        ).fetchone()
        assert str(days[1]) == SECOND
        assert (
            str(con.execute("select max(as_of_date) from marts.customer_signals_history").fetchone()[0])
            == SECOND
        )
        assert (
            str(con.execute("select distinct as_of_date from marts.prioritized_accounts").fetchone()[0])
            == SECOND
        )


def test_the_second_day_keeps_the_seeds_whose_files_did_not_change(warehouses):
    straight, _, second_day = warehouses
    seeds = sorted(path.stem for path in SEEDS.glob("*.csv"))
    outputs = {
        m.asset_key.path[-1]: m.metadata
        for m in second_day.asset_materializations_for_node("dbt_models")
        if m.asset_key.path[-1] in seeds
    }
    # Every seed is reported materialised for the day, none loaded again: their files did not change.
    assert sorted(outputs) == seeds
    assert all(meta["reloaded"].value is False for meta in outputs.values())
    # What the first build loaded is still there, row for row with the file.
    with duckdb.connect(str(straight), read_only=True) as con:
        for seed in seeds:
            with (SEEDS / f"{seed}.csv").open(newline="", encoding="utf-8") as file:
                rows = sum(1 for _ in csv.reader(file)) - 1
            assert con.execute(f"select count(*) from seeds.{seed}").fetchone()[0] == rows, seed


def test_the_second_day_keeps_the_models_of_unchanged_seeds_alone(warehouses):
    straight, _, second_day = warehouses
    models = ("int_currency_rates", "int_scoring_config_version")
    outputs = {
        m.asset_key.path[-1]: m.metadata
        for m in second_day.asset_materializations_for_node("dbt_models")
        if m.asset_key.path[-1] in models
    }
    assert sorted(outputs) == list(models)
    assert all(meta["rebuilt"].value is False for meta in outputs.values())
    with duckdb.connect(str(straight), read_only=True) as con:
        currencies = con.execute("select count(*) from seeds.currency_rates").fetchone()[0]
        assert con.execute("select count(*) from intermediate.int_currency_rates").fetchone()[0] == currencies
        # The day's scores name the version of the settings the first build computed.
        versions = con.execute(
            "select distinct config_version from marts.customer_health_history order by 1"
        ).fetchall()
        kept = con.execute("select config_version from intermediate.int_scoring_config_version").fetchall()
    assert versions == kept


def test_the_second_day_keeps_the_backtest_models_as_nothing_they_read_changed(warehouses):
    _, _, second_day = warehouses
    outputs = {
        m.asset_key.path[-1]: m.metadata
        for m in second_day.asset_materializations_for_node("dbt_backtest_models")
    }
    assert sorted(outputs) == [
        "int_churn_early_warnings",
        "int_score_backtest_snapshots",
        "score_effectiveness",
    ]
    assert all(meta["rebuilt"].value is False for meta in outputs.values())
    assert outputs["score_effectiveness"]["dagster/row_count"].value > 0


def test_the_second_day_s_signals_carried_from_the_first_are_those_of_the_whole_history(warehouses):
    straight, _, _ = warehouses
    with duckdb.connect(str(straight), read_only=True) as con:
        today = con.execute("select max(as_of_date) from marts.customer_signals_history").fetchone()[0]
        yesterday = today - timedelta(days=1)
        looked_up = CURRENT_SIGNALS_SQL.replace("{carried}", NOTHING_CARRIED)
        columns = ", ".join(f'"{name}"' for name in CUSTOMER_SIGNALS.column_names)
        differing = con.execute(
            f"""select count(*) from (
                    (select {columns} from marts.customer_signals
                     except all select {columns} from ({looked_up}))
                    union all
                    (select {columns} from ({looked_up})
                     except all select {columns} from marts.customer_signals)
                )""",
            [today, yesterday, yesterday] * 2,
        ).fetchone()[0]
        held = con.execute(
            "select count(*) from marts.customer_signals where signal_since < as_of_date"
        ).fetchone()[0]
    assert str(today) == SECOND and differing == 0
    assert held > 0  # signals held since before the second day: their start was carried


def test_rerunning_a_day_gives_the_straight_run_tables_without_duplicates(warehouses):
    straight, rerun, _ = warehouses
    assert_same_tables(rerun, straight)
    with duckdb.connect(str(rerun), read_only=True) as con:
        for name in (
            "marts.customer_health_history",
            "marts.churn_predictions_history",
            "marts.customer_signals_history",
        ):
            rows, distinct = con.execute(
                f"select count(*), count(distinct (account_id, as_of_date)) from {name}"
            ).fetchone()
            assert rows == distinct, name


HISTORIES = ("customer_health_history", "churn_predictions_history", "customer_signals_history")


def test_each_day_publishes_the_days_it_rewrote_and_the_copy_holds_the_warehouse(warehouses):
    straight, rerun, second_day = warehouses
    published = second_day.asset_materializations_for_node("published__bi_copy")[0].metadata
    copied = published["months_copied"].value
    # The histories span February to June: the next day (30 June) copied June's again, nothing else
    assert {name: copied[name] for name in HISTORIES} == {name: ["2026-06"] for name in HISTORIES}
    # ...and the copy holds every published table of the warehouse, after the next day and after a
    # past day (29 June) was run again on top of it
    for warehouse in (straight, rerun):
        with duckdb.connect(str(warehouse), read_only=True) as con:
            marts = [
                f"marts.{name}"
                for (name,) in con.execute(
                    "select table_name from duckdb_tables() where schema_name = 'marts'"
                ).fetchall()
            ]
        assert_same_tables(warehouse.parent / "published" / "health.duckdb", warehouse, only=marts)


def test_a_history_built_in_batches_holds_the_rows_of_one_built_day_by_day(warehouses, batched):
    straight, _, _ = warehouses
    path, logged = batched
    batches = [message for message in logged if message.startswith("history batch ")]
    # The last batch is the run's own dbt build, which reports its models as usual.
    assert [message.split(":")[0] for message in batches] == [f"history batch {n} of 3" for n in (1, 2)]
    # The event roll-up is built once over all the days, before the batches.
    assert sum(message.startswith("roll-ups over the whole history") for message in logged) == 1
    # The roll-up and the batches one model at a time (each gets DuckDB's whole memory limit); the run's
    # own build and the backtest models on the profile's threads.
    commands = [message for message in logged if message.startswith("Running dbt command")]
    assert ["--threads 1" in command for command in commands] == [True, True, True, False, False]
    daily_models = {f"{node['schema']}.{node['alias']}" for node in daily_model_nodes()}
    assert "marts.customer_health_history" in daily_models
    assert_same_tables(path, straight, only=daily_models)


def test_one_day_s_measures_run_bare_give_that_day_s_rows_and_built_again_alone_change_nothing(
    warehouses, tmp_path
):
    # The benchmark's floor for one day's measures, on a copy of the warehouse after the second day.
    straight, _, _ = warehouses
    copy = tmp_path / "floor" / "warehouse.duckdb"
    shutil.copytree(straight.parent, copy.parent, symlinks=True)
    tables = [
        f"{node['schema']}.{node['alias']}"
        for node in daily_model_nodes()
        if "rebuilt_window" not in node["config"].get("meta", {})
    ]
    assert "intermediate.int_account_engagement_daily" in tables and "marts.customer_health_history" in tables

    with duckdb.connect(str(copy), read_only=True) as con:
        day_rows = sum(
            con.execute(f"select count(*) from {table} where as_of_date = '{SECOND}'").fetchone()[0]
            for table in tables
        )
    floor = day_measures_floor(copy, {"dbt_models": {}}, SECOND)
    assert floor.models == len(tables)
    assert floor.rows == day_rows > 0
    assert floor.bare > 0 and floor.alone > 0
    assert floor.dbt is None  # no time in a job was given
    # Built again alone, the day is what it was (doubles to the 9th decimal, as parallel sums vary)
    assert_same_tables(copy, straight, only=tables)
