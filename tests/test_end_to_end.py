"""A small demo materialised end to end into a temporary warehouse: raw assets, then real dbt."""

from __future__ import annotations

import dagster as dg
import duckdb
import pytest
from dagster_dbt import DbtCliResource

from dagster_project.defs.dbt.assets import dbt_models
from dagster_project.defs.dbt.project import dbt_executable, dbt_project
from dagster_project.defs.ingestion.assets import raw_tables
from dagster_project.defs.ingestion.resources import RawSource
from dagster_project.sources.raw_tables import RAW_TABLES
from dagster_project.warehouse.resource import Warehouse
from tests.conftest import SMALL_DEMO

pytestmark = pytest.mark.slow


def materialise(warehouse_path, **source_settings):
    return dg.materialize(
        [raw_tables, dbt_models],
        resources={
            "warehouse": Warehouse(path=str(warehouse_path)),
            "raw_source": RawSource(kind="demo", **source_settings),
            "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable()),
        },
    )


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    path = tmp_path_factory.mktemp("e2e") / "warehouse.duckdb"
    result = materialise(path, **SMALL_DEMO)
    return result, path


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
