"""The code location loads, and its lineage, groups and descriptions are what the UI should show."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import dagster as dg
import pytest
import yaml

from dagster_project.definitions import defs
from dagster_project.defs.ingestion.resources import RawSource
from dagster_project.sources.raw_tables import RAW_TABLES

DBT_STAGING = Path(__file__).resolve().parents[1] / "dbt" / "models" / "staging"


@pytest.fixture(scope="module")
def graph():
    return defs.resolve_asset_graph()


def test_every_raw_table_is_an_asset_in_group_raw(graph):
    raw_keys = {k for k in graph.get_all_asset_keys() if k.path[0] == "raw"}
    assert raw_keys == {dg.AssetKey(["raw", name]) for name in RAW_TABLES}
    assert {graph.get(k).group_name for k in raw_keys} == {"raw"}


def test_every_raw_table_feeds_its_staging_model(graph):
    for name in RAW_TABLES:
        source, entity = name.split("_", 1)
        children = {k.to_user_string() for k in graph.get(dg.AssetKey(["raw", name])).child_keys}
        assert f"staging/stg_{source}__{entity}" in children, name
    staging = {k for k in graph.get_all_asset_keys() if k.path[0] == "staging"}
    assert len(staging) == len(RAW_TABLES)
    assert {graph.get(k).group_name for k in staging} == {"staging"}


def test_every_asset_is_described_grouped_owned_and_has_kinds(graph):
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert (node.description or "").strip(), key
        assert node.group_name and node.group_name != "default", key
        assert node.owners and all(o.startswith("team:") for o in node.owners), key
        assert node.kinds, key


def test_every_asset_after_raw_is_daily_and_backfills_in_one_run(graph):
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if key.path[0] == "raw":
            assert node.partitions_def is None, key  # each run lands what the source has now
            continue
        assert isinstance(node.partitions_def, dg.DailyPartitionsDefinition), key
        assert node.backfill_policy == dg.BackfillPolicy.single_run(), key


def test_the_schedule_builds_the_last_complete_day_at_six_utc():
    schedule = defs.resolve_schedule_def("health_warehouse_schedule")
    assert schedule.cron_schedule == "0 6 * * *"
    assert schedule.execution_timezone == "UTC"
    assert schedule.job_name == "health_warehouse"
    sensor = defs.resolve_sensor_def("undelivered_alerts_sensor")
    assert sensor.job_name == "deliver_alerts"


def test_dbt_tests_on_sources_and_models_are_asset_checks(graph):
    checked = {k.asset_key.path[0] for k in graph.asset_check_keys}
    assert {"raw", "staging", "intermediate", "marts"} <= checked


def test_models_are_grouped_by_their_layer_folder(graph):
    # Keyed by asset, not by schema: Python assets may publish into marts from their own group.
    for key, group in (
        (["intermediate", "int_account_health_daily"], "intermediate"),
        (["marts", "customer_health"], "marts"),
        (["seeds", "scorecard_measures"], "seeds"),
        (["marts", "churn_model_metrics"], "churn"),
        (["marts", "churn_predictions"], "churn"),
        (["marts", "customer_signals"], "worklist"),
        (["marts", "prioritized_accounts"], "worklist"),
    ):
        assert graph.get(dg.AssetKey(key)).group_name == group, key
    published = {k.path[-1] for k in graph.get_all_asset_keys() if k.path[0] == "marts"}
    assert {
        "customer_health",
        "customer_health_history",
        "mrr_daily",
        "mrr_movements",
        "segment_benchmarks",
        "score_effectiveness",
        "churn_model_metrics",
        "churn_predictions",
        "churn_predictions_history",
        "customer_signals",
        "customer_signals_history",
        "prioritized_accounts",
    } <= published


def test_dbt_sources_describe_the_raw_contract_column_for_column():
    for path in DBT_STAGING.glob("*/_*__sources.yml"):
        for source in yaml.safe_load(path.read_text())["sources"]:
            for table in source["tables"]:
                contract = RAW_TABLES[table["identifier"]]
                assert [c["name"] for c in table["columns"]] == [c.name for c in contract.stored_columns], (
                    table["identifier"]
                )
                assert table["config"]["meta"]["dagster"]["asset_key"] == ["raw", contract.name]


def test_the_churn_model_trains_on_the_dbt_snapshots(graph):
    parents = graph.get(dg.AssetKey(["marts", "churn_model_metrics"])).parent_keys
    assert parents == {dg.AssetKey(["intermediate", "int_churn_snapshots"])}


def test_predictions_and_the_worklist_read_the_dbt_models_they_need(graph):
    def parents(*key: str) -> set[str]:
        return {"/".join(k.path) for k in graph.get(dg.AssetKey(list(key))).parent_keys}

    assert parents("marts", "churn_predictions_history") == {
        "marts/churn_model_metrics",
        "intermediate/int_account_churn_features_daily",
    }
    assert {
        "intermediate/int_account_health_daily",
        "seeds/signal_actions",
        "seeds/worklist_settings",
    } <= parents("marts", "customer_signals_history")
    assert {"marts/customer_health", "marts/customer_signals", "seeds/priority_tiers"} <= parents(
        "marts", "prioritized_accounts"
    )


def test_the_job_covers_the_whole_graph():
    job = defs.resolve_job_def("health_warehouse")
    assert len(job.asset_layer.selected_asset_keys) == len(defs.resolve_asset_graph().get_all_asset_keys())


def test_source_settings_are_read_when_the_run_starts(monkeypatch):
    monkeypatch.setenv("HEALTH_SOURCE", "files")
    monkeypatch.delenv("HEALTH_FILES_DIR", raising=False)
    with pytest.raises(ValueError, match="HEALTH_FILES_DIR"):
        RawSource().build()
    monkeypatch.setenv("HEALTH_SOURCE", "kafka")
    with pytest.raises(ValueError, match="'kafka' is not a source; use one of demo, files, api"):
        RawSource().build()
    monkeypatch.setenv("HEALTH_SOURCE", "api")
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_1")
    monkeypatch.delenv("INTERCOM_API_TOKEN", raising=False)
    with pytest.raises(ValueError, match="needs INTERCOM_API_TOKEN to be set"):
        RawSource().build()


def test_demo_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("HEALTH_SOURCE", "demo")
    monkeypatch.setenv("HEALTH_DEMO_ACCOUNTS", "lots")
    with pytest.raises(ValueError, match="HEALTH_DEMO_ACCOUNTS='lots' is not a whole number"):
        RawSource().build()
    monkeypatch.setenv("HEALTH_DEMO_ACCOUNTS", "50")
    monkeypatch.setenv("HEALTH_DEMO_END_DATE", "30/06/2026")
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        RawSource().build()
    monkeypatch.setenv("HEALTH_DEMO_END_DATE", "2026-06-30")
    monkeypatch.setenv("HEALTH_DEMO_EVENTS_PER_ACCOUNT_DAY", "many")
    with pytest.raises(ValueError, match="HEALTH_DEMO_EVENTS_PER_ACCOUNT_DAY='many' is not a number"):
        RawSource().build()
    monkeypatch.setenv("HEALTH_DEMO_EVENTS_PER_ACCOUNT_DAY", "2.5")
    monkeypatch.setenv("HEALTH_DEMO_CONTACTS_PER_ACCOUNT", "4")
    source = RawSource().build()
    assert (source.accounts, source.events_per_account_day, source.contacts_per_account) == (50, 2.5, 4.0)


def test_the_dbt_resource_knows_the_version_that_dbt_reports():
    # The job's resource skips `dbt --version`; what it assumes must be what the dbt it runs says.
    from dagster_project.defs.dbt.resource import dbt_cli

    resource = dbt_cli()
    command = [resource.dbt_executable, "--version"]
    reported = subprocess.run(command, capture_output=True, text=True, check=True)
    installed = re.search(r"installed:\s*(\d+\.\d+\.\d+)", reported.stdout).group(1)
    assert str(resource._cli_version) == installed


def test_the_dbt_resource_starts_dbt_without_loading_its_adapter_here():
    # dagster-dbt would load dbt's profile and adapter into this process first (about 2 s a step), for
    # metadata the job does not fetch; the dbt command itself runs as before.
    from dagster_project.defs.dbt.project import dbt_project
    from dagster_project.defs.dbt.resource import dbt_cli

    invocation = dbt_cli().cli(
        ["ls", "--select", "stg_stripe__customers"], manifest=dbt_project.manifest_path
    )
    assert invocation.wait().is_successful()
    assert invocation.adapter is None


def _manifest() -> dict:
    import json

    return json.loads((DBT_STAGING.parents[1] / "target" / "manifest.json").read_text())


def test_every_dbt_test_is_an_asset_check_in_the_ui(graph):
    checks = {key.name for key in graph.asset_check_keys}
    # Singular tests (a SQL file of their own under dbt/tests/) that read several models are attached
    # through `meta.dagster.ref`; otherwise dagster-dbt logs them as observations, not checks.
    singular = [
        node["name"]
        for node in _manifest()["nodes"].values()
        if node["resource_type"] == "test" and node["original_file_path"].startswith("tests/")
    ]
    assert len(singular) >= 7
    assert [name for name in singular if name not in checks] == []


def test_every_dbt_model_has_yaml_describing_it_and_each_column():
    for node in _manifest()["nodes"].values():
        if node["resource_type"] != "model":
            continue
        assert node.get("patch_path"), f"{node['name']} has no YAML"
        assert node["description"].strip(), node["name"]
        assert node["columns"], f"{node['name']} lists no columns"
        undescribed = [c for c, column in node["columns"].items() if not column["description"].strip()]
        assert undescribed == [], node["name"]
