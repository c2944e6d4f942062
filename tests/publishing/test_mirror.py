"""The local mirror of another engine's published tables: every marts table, in its contract's column
order, reconciled with the warehouse."""

from __future__ import annotations

import duckdb
import pandas as pd

from dagster_project.defs.publishing.assets import PUBLISHED_KEYS, published_columns
from dagster_project.publishing.mirror import mirror_published_tables
from dagster_project.warehouse.resource import Warehouse


def test_the_mirror_holds_every_published_table_in_its_contracts_column_order(postgres, tmp_path):
    warehouse = Warehouse(
        path=str(tmp_path / "w.duckdb"), target="postgres", pg_dsn=postgres.create_database("mirror")
    )
    # As Spark stores a table partitioned by day: the partition column last.
    history = pd.DataFrame({"account_id": ["a", "b"], "grade": ["A", "C"], "as_of_date": ["2026-06-30"] * 2})
    warehouse.write_table("marts.customer_health_history", history)
    warehouse.write_table("marts.signals", pd.DataFrame({"signal": ["RISK"], "account_id": ["b"]}))
    warehouse.write_table("intermediate.not_published", pd.DataFrame({"x": [1]}))

    mirror = mirror_published_tables(
        warehouse,
        tmp_path / "published",
        {"marts.customer_health_history": ("as_of_date", "account_id", "grade")},
    )

    with duckdb.connect(str(mirror), read_only=True) as con:
        tables = con.execute("select schema_name, table_name from duckdb_tables() order by 2").fetchall()
        history_columns = [c[0] for c in con.execute("describe marts.customer_health_history").fetchall()]
        signals_columns = [c[0] for c in con.execute("describe marts.signals").fetchall()]
        rows = con.execute("select * from marts.customer_health_history order by account_id").fetchall()
    assert tables == [("marts", "customer_health_history"), ("marts", "signals")]
    assert history_columns == ["as_of_date", "account_id", "grade"]
    assert signals_columns == ["signal", "account_id"]
    assert rows == [("2026-06-30", "a", "A"), ("2026-06-30", "b", "C")]
    assert not list((tmp_path / "published").glob("*.tmp"))


def test_the_published_column_order_is_the_contracts_of_dbt_and_python_tables():
    columns = published_columns()
    assert sorted(columns) == sorted(".".join(key.path) for key in PUBLISHED_KEYS)
    # dbt/models/marts/_health__models.yml lists account_id first, then as_of_date.
    assert columns["marts.customer_health_history"][:2] == ("account_id", "as_of_date")
    # CHURN_PREDICTIONS_HISTORY (defs/churn/tables.py) starts with as_of_date, then account_id.
    assert columns["marts.churn_predictions_history"][:2] == ("as_of_date", "account_id")
