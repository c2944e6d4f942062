"""A small demo materialised end to end into a temporary warehouse: raw assets, real dbt, then the
churn model, signals and worklist."""

from __future__ import annotations

import re
import shutil
from datetime import timedelta

import duckdb
import pandas as pd
import pytest

from dagster_project.defs.python_assets import PYTHON_TABLES
from dagster_project.run import capture_summary, effectiveness_summary
from dagster_project.sources.raw_tables import RAW_TABLES
from dagster_project.warehouse.resource import Warehouse
from tests.conftest import ROOT, SMALL_DEMO
from tests.pipeline import materialise

pytestmark = pytest.mark.slow


def counts(path) -> dict[str, int]:
    with duckdb.connect(str(path), read_only=True) as con:
        names = con.execute(
            """select table_schema || '.' || table_name from information_schema.tables
               where table_schema in ('raw', 'staging') and table_name not like '\\_%' escape '\\'"""
        ).fetchall()
        return {n: con.execute(f"select count(*) from {n}").fetchone()[0] for (n,) in names}


def test_the_run_succeeds_with_every_check_passing(demo_run):
    result, _ = demo_run
    assert result.success
    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) >= 60
    failed = [e.check_name for e in evaluations if not e.passed]
    assert failed == []
    python_checks = {"reconciles_with_raw", "source_is_fresh", "colors_are_plausible", "risk_share_is_steady"}
    assert python_checks <= {e.check_name for e in evaluations}


def test_every_raw_and_staging_table_is_filled(demo_run):
    _, path = demo_run
    found = counts(path)
    for name in RAW_TABLES:
        source, entity = name.split("_", 1)
        assert found[f"raw.{name}"] > 0, name
        assert found[f"staging.stg_{source}__{entity}"] > 0, name


def test_staging_keeps_one_row_per_raw_id(demo_run):
    _, path = demo_run
    found = counts(path)
    for name, table in RAW_TABLES.items():
        source, entity = name.split("_", 1)
        with duckdb.connect(str(path), read_only=True) as con:
            distinct = con.execute(f"select count(distinct {table.primary_key}) from raw.{name}").fetchone()[
                0
            ]
        assert found[f"staging.stg_{source}__{entity}"] == distinct, name


def test_raw_metadata_reconciles_and_reports_unmatched_accounts(demo_run):
    result, _ = demo_run
    metadata = {
        m.asset_key.path[-1]: m.metadata for m in result.asset_materializations_for_node("land_raw_tables")
    }
    assert set(metadata) == set(RAW_TABLES)
    for name, meta in metadata.items():
        assert meta["reconciles"].value is True, name
        assert meta["records_read"].value == meta["rows_landed"].value + meta["records_quarantined"].value
    # The demo has trial sign-ups that were never billed.
    assert metadata["intercom_companies"]["unmatched_account_records"].value > 0


def test_rerunning_the_same_demo_gives_the_same_tables(demo_run, tmp_path):
    _, first = demo_run
    again = tmp_path / "again.duckdb"
    assert materialise(again, **SMALL_DEMO).success
    assert counts(again) == counts(first)
    with duckdb.connect(str(first), read_only=True) as con:
        con.execute(f"attach '{again}' as again (read_only)")
        for name in ("stripe_invoices", "intercom_events", "intercom_tickets"):
            columns = ", ".join(RAW_TABLES[name].column_names)
            differing = con.execute(
                f"select count(*) from (select {columns} from raw.{name} "
                f"except select {columns} from again.raw.{name})"
            ).fetchone()[0]
            assert differing == 0, name


def test_customer_health_has_one_row_per_active_account_with_grade_colour_drivers_and_version(demo_run):
    _, path = demo_run
    with duckdb.connect(str(path), read_only=True) as con:
        latest = con.execute("select max(as_of_date) from intermediate.int_account_revenue_daily").fetchone()[
            0
        ]
        active = con.execute(
            "select count(*) from intermediate.int_account_revenue_daily where as_of_date = ? and mrr > 0",
            [latest],
        ).fetchone()[0]
        rows = con.execute(
            "select count(*), count(distinct account_id), min(as_of_date), max(as_of_date) "
            "from marts.customer_health"
        ).fetchone()
        assert rows == (active, active, latest, latest)
        # Colours agree with the grade scale the analysts set.
        mismatched = con.execute(
            """select count(*) from marts.customer_health as health
               inner join seeds.grade_scale as scale on health.grade = scale.grade
               where health.color <> scale.color
                  or health.health_score < scale.min_score"""
        ).fetchone()[0]
        assert mismatched == 0
        missing = con.execute(
            "select count(*) from marts.customer_health where drivers is null or config_version is null"
        ).fetchone()[0]
        assert missing == 0


def test_mrr_movements_add_up_to_the_change_of_total_mrr(demo_run):
    _, path = demo_run
    with duckdb.connect(str(path), read_only=True) as con:
        # Total MRR on the last day of each month of mrr_daily, and its change from the month before.
        changes = con.execute(
            """with month_ends as (
                   select cast(date_trunc('month', date) as date) as month, max(date) as last_day
                   from marts.mrr_daily group by 1
               ),
               totals as (
                   select month_ends.month, sum(daily.mrr) as total
                   from month_ends
                   inner join marts.mrr_daily as daily on daily.date = month_ends.last_day
                   group by 1
               )
               select month, total - lag(total) over (order by month) from totals order by month"""
        ).fetchall()
        moved = dict(
            con.execute("select month, sum(mrr_change) from marts.mrr_movements group by 1").fetchall()
        )
    assert len(changes) >= 4
    for month, change in changes[1:]:
        assert moved[month] == change, month


def test_changing_a_weight_changes_the_scores_and_the_config_version(demo_run, tmp_path):
    from tests.dbt_scenarios import dbt_build, project_copy

    _, path = demo_run
    warehouse = tmp_path / "warehouse.duckdb"
    warehouse.write_bytes(path.read_bytes())
    seeds = (ROOT / "seeds" / "scorecard_measures.csv").read_text()
    edited = seeds.replace(
        "default,weighted_events_30d,engagement,0.20", "default,weighted_events_30d,engagement,0.25"
    ).replace("default,active_contacts_30d,engagement,0.10", "default,active_contacts_30d,engagement,0.05")
    assert edited != seeds
    project = project_copy(tmp_path / "copy", {"scorecard_measures.csv": edited})
    before = dict(
        duckdb.connect(str(path), read_only=True)
        .execute("select account_id, health_score from marts.customer_health where scorecard_id = 'default'")
        .fetchall()
    )
    dbt_build(warehouse, "", select="scorecard_measures+", project_dir=project)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        after = dict(
            con.execute(
                "select account_id, health_score from marts.customer_health where scorecard_id = 'default'"
            ).fetchall()
        )
        versions = {
            v for (v,) in con.execute("select distinct config_version from marts.customer_health").fetchall()
        }
    with duckdb.connect(str(path), read_only=True) as con:
        old_versions = {
            v for (v,) in con.execute("select distinct config_version from marts.customer_health").fetchall()
        }
    assert versions.isdisjoint(old_versions) and len(versions) == 1
    assert sum(1 for a in before if before[a] != after.get(a)) > len(before) / 4


def test_rebuilding_a_window_of_days_gives_the_same_history(demo_run, tmp_path):
    from tests.dbt_scenarios import dbt_build

    _, path = demo_run
    warehouse = tmp_path / "warehouse.duckdb"
    warehouse.write_bytes(path.read_bytes())
    with duckdb.connect(str(path), read_only=True) as con:
        last = con.execute("select max(as_of_date) from marts.customer_health_history").fetchone()[0]
    window = {"min_date": str(last - timedelta(days=2)), "max_date": str(last + timedelta(days=1))}
    dbt_build(warehouse, "customer_health_history", dbt_vars=window)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute(f"attach '{path}' as first (read_only)")
        for table in ("marts.customer_health_history", "intermediate.int_account_revenue_daily"):
            rows, distinct = con.execute(
                f"select count(*), count(distinct account_id || cast(as_of_date as varchar)) from {table}"
            ).fetchone()
            assert rows == distinct, table
            differing = con.execute(
                f"select count(*) from ((select * from {table} except select * from first.{table}) "
                f"union all (select * from first.{table} except select * from {table}))"
            ).fetchone()[0]
            assert differing == 0, table


def test_the_python_tables_keep_their_contract_and_cover_every_active_account(demo_run):
    _, path = demo_run
    warehouse = Warehouse(path=str(path))
    for table in PYTHON_TABLES:
        columns = warehouse.columns(table.name)
        assert table.matches(columns), table.name
        # DuckDB's tables are the published copy: in the contract's order.
        assert [name for name, _ in columns] == table.column_names, table.name
    with duckdb.connect(str(path), read_only=True) as con:
        health = con.execute("select count(*) from marts.customer_health").fetchone()[0]
        for table in ("churn_predictions", "customer_signals", "prioritized_accounts"):
            rows, accounts, missing = con.execute(
                f"""select count(*), count(distinct account_id),
                           count(*) filter (
                               where account_id not in (select account_id from marts.customer_health)
                           )
                    from marts.{table}"""
            ).fetchone()
            assert (rows, accounts, missing) == (health, health, 0), table
        # One prediction and one signal per active account-day of the history.
        account_days = con.execute("select count(*) from intermediate.int_account_health_daily").fetchone()[0]
        for table in ("churn_predictions_history", "customer_signals_history"):
            assert con.execute(f"select count(*) from marts.{table}").fetchone()[0] == account_days, table


def marts_rows(path) -> dict[str, int]:
    with duckdb.connect(str(path), read_only=True) as con:
        names = con.execute("select table_name from duckdb_tables() where schema_name = 'marts'").fetchall()
        return {name: con.execute(f"select count(*) from marts.{name}").fetchone()[0] for (name,) in names}


def test_the_published_copy_holds_every_marts_table_as_built(demo_run):
    _, path = demo_run
    expected = marts_rows(path)
    assert {"customer_health", "prioritized_accounts", "alerts"} <= set(expected)
    assert marts_rows(path.parent / "published" / "health.duckdb") == expected


def test_score_effectiveness_accounts_for_every_labelled_snapshot(demo_run):
    _, path = demo_run
    with duckdb.connect(str(path), read_only=True) as con:
        snapshots, churned = con.execute(
            "select count(*), sum(churned_within_horizon) from intermediate.int_churn_snapshots"
        ).fetchone()
        for dimension in ("grade", "color", "overall"):
            rows = con.execute(
                """select sum(account_snapshots), sum(churned), min(base_rate), max(base_rate)
                   from marts.score_effectiveness where segment = 'all' and dimension = ?""",
                [dimension],
            ).fetchone()
            assert rows[:2] == (snapshots, churned), dimension
            assert rows[2] == rows[3] == pytest.approx(churned / snapshots), dimension
        per_segment = con.execute(
            "select sum(account_snapshots) from marts.score_effectiveness "
            "where segment <> 'all' and dimension = 'grade'"
        ).fetchone()[0]
    assert per_segment == snapshots > 0


def test_the_run_summary_reports_the_backtest_and_the_report_is_published(demo_run):
    _, path = demo_run
    warehouse = Warehouse(path=str(path))
    snapshots = warehouse.scalar("select count(*) from intermediate.int_churn_snapshots")
    summary = effectiveness_summary(warehouse)
    assert f"score_effectiveness, {snapshots:,} past snapshots)" in summary
    assert "churned within 90 days, by grade: A " in summary
    report = (path.parent / "published" / "report.html").read_text(encoding="utf-8")
    assert report.count('class="chart"') == 7


def test_the_worklist_is_coherent_and_its_proof_is_out_of_sample(demo_run):
    _, path = demo_run
    warehouse = Warehouse(path=str(path))
    worklist = warehouse.query("select * from marts.prioritized_accounts")
    plays = pd.read_csv(ROOT / "seeds" / "worklist_plays.csv").set_index("play")
    # One play per account, from the seed, and its action alone: never a save and a growth action at once.
    assert worklist["account_id"].is_unique and worklist["play"].isin(plays.index).all()
    assert (worklist["recommended_action"] == plays.loc[worklist["play"], "action"].to_numpy()).all()
    assert (worklist["play_kind"] == plays.loc[worklist["play"], "play_kind"].to_numpy()).all()
    saves = worklist["play_kind"] == "save"
    assert worklist.loc[saves, "priority_tier"].isin(["P1", "P3"]).all()
    assert worklist.loc[~saves, "priority_tier"].isin(["P2", "P4"]).all()
    # A material risk is always a save play or billing (which comes first), whatever the signal says.
    material = worklist["churn_likelihood"] >= 0.10
    assert saves[material].all()
    # At most three reasons, the play's fact first; no comparison of two equal numbers.
    for row in worklist.itertuples():
        reasons = row.reasons.split("; ")
        assert reasons[0] == row.play_reason and len(reasons) <= 3, row.reasons
        assert not re.search(r"\b(\d+)% vs \1%", row.reasons), row.reasons
    signals = warehouse.query("select reason from marts.customer_signals")["reason"]
    assert not signals.str.contains(r"\b(\d+)% vs \1%").any()
    # Every account without an owner is in the unassigned queue.
    assert (worklist["queue"] == worklist["owner"].fillna("unassigned")).all()
    # The cap is named only where it sets the score.
    capped = warehouse.query(
        "select health_score, is_capped, drivers from marts.customer_health "
        "where drivers like '%caps the score%'"
    )
    for row in capped.itertuples():
        cap = int(re.search(r"caps the score at (\d+)", row.drivers).group(1))
        assert row.is_capped and float(row.health_score) == cap, row.drivers
    # The proof: each snapshot scored by a model that learnt only from outcomes known before that day. (The
    # small demo's five months leave no snapshot with enough known outcomes before it: see
    # tests/effectiveness/test_adopting_weights.py for the walk-forward on a year and more.)
    backtest = warehouse.query("select as_of_date, labels_known_by from marts.churn_walk_forward")
    assert (pd.to_datetime(backtest["labels_known_by"]) < pd.to_datetime(backtest["as_of_date"])).all()
    capture = warehouse.query("select * from marts.worklist_effectiveness")
    assert set(capture["method"]) == {
        "expected_loss",
        "health_x_lifetime_value",
        "churn_likelihood_x_mrr",
        "random",
    }
    default = capture[capture["is_default"] & (capture["segment"] == "all")].sort_values("list_share")
    assert default["method"].unique().tolist() == ["expected_loss"]
    assert default["list_share"].tolist() == [0.05, 0.1, 0.2, 0.5]
    # Five months: no snapshot day had 20 known churned snapshots before it, so nothing is claimed.
    assert backtest.empty and (default["snapshots"] == 0).all() and default["churned_mrr_share"].isna().all()
    assert capture_summary(warehouse) == (
        "Does the worklist catch the revenue that leaves? No past snapshot has a known outcome yet."
    )


def test_staging_reconciles_the_last_load_and_fails_on_a_row_it_drops(demo_run, tmp_path):
    from dagster_project.defs.quality.checks import staging_reconciles_with_raw

    _, path = demo_run
    copy = tmp_path / "warehouse.duckdb"
    shutil.copyfile(path, copy)
    with duckdb.connect(str(copy)) as con:
        total = con.execute("select count(*) from raw.intercom_events").fetchone()[0]
        # Ten events landed by an earlier load: not the last load's to reconcile
        con.execute(
            "update raw.intercom_events set _batch_id = 'an-earlier-load' "
            "where event_id in (select event_id from raw.intercom_events order by event_id limit 10)"
        )

    def events_result():
        results = staging_reconciles_with_raw(warehouse=Warehouse(path=str(copy)))
        return next(r for r in results if r.asset_key.path[-1] == "stg_intercom__events")

    result = events_result()
    assert result.passed
    assert result.metadata["raw_rows"].value == total - 10
    assert result.metadata["staged_rows"].value == total - 10

    # A staging view that loses one event of the last load fails the check
    with duckdb.connect(str(copy)) as con:
        con.execute(
            """create or replace view staging.stg_intercom__events as
               select event_id, _batch_id as batch_id from raw.intercom_events
               where event_id <> (select max(event_id) from raw.intercom_events)"""
        )
    result = events_result()
    assert not result.passed
    assert (result.metadata["raw_distinct_ids"].value, result.metadata["staged_rows"].value) == (
        total - 10,
        total - 11,
    )
