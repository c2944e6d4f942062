"""The warehouse door: path resolution at run time, atomic table writes, the env handed to dbt."""

from __future__ import annotations

import os

import pandas as pd
import pytest

from dagster_project.warehouse.resource import Warehouse


def test_path_comes_from_the_environment_when_the_run_starts(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HEALTH_WAREHOUSE", raising=False)
    warehouse = Warehouse()
    assert warehouse.file == tmp_path / "data" / "warehouse.duckdb"
    monkeypatch.setenv("HEALTH_WAREHOUSE", "elsewhere/w.duckdb")
    assert warehouse.file == tmp_path / "elsewhere" / "w.duckdb"
    assert Warehouse(path=str(tmp_path / "x.duckdb")).file == tmp_path / "x.duckdb"


def test_write_table_replaces_and_query_reads(tmp_path):
    warehouse = Warehouse(path=str(tmp_path / "w.duckdb"))
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


def test_replace_rows_replaces_by_key_and_creates_the_table(tmp_path):
    warehouse = Warehouse(path=str(tmp_path / "w.duckdb"))
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
