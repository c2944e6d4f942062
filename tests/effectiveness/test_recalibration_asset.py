"""The recalibration asset fits again only when its inputs changed: a labelled snapshot or a weight."""

from __future__ import annotations

import dagster as dg

from dagster_project.defs.effectiveness.assets import recommended_weights
from dagster_project.warehouse.resource import Warehouse


def add_snapshots(warehouse: Warehouse, month: str, accounts: int) -> None:
    """Snapshots on the first of ``month``, labelled 120 days later: every fourth account churned; two
    measures whose points foresee it."""
    day = f"date '{month}-01'"
    for measure, weight in (("usage", 0.6), ("tickets", 0.4)):
        warehouse.execute(
            f"""
            insert into intermediate.int_snapshot_measure_points
            select 's', 'a' || i, {day}, '{measure}', 'engagement', {weight}, 'percentile',
                case when i % 4 = 0 then 10 + i % 7 else 60 + i % 30 end, false, null, null,
                cast(i % 4 = 0 as integer), {day} + 120
            from range({accounts}) t(i)
            """
        )
    # The scored days: the recalibration runs for a day that reaches the latest of them
    warehouse.execute(f"insert into intermediate.int_account_health_daily select {day}")


def test_a_day_without_a_new_label_keeps_the_fit_and_a_new_label_fits_again(tmp_path):
    warehouse = Warehouse(path=str(tmp_path / "warehouse.duckdb"))
    warehouse.execute("create schema intermediate")
    warehouse.execute(
        "create table intermediate.int_snapshot_measure_points (scorecard_id varchar, account_id varchar, "
        "as_of_date date, measure varchar, category varchar, weight decimal(6, 4), method varchar, "
        "points double, is_cap_holding boolean, cap_score decimal(5, 2), override_score decimal(5, 2), "
        "churned integer, label_known_on date)"
    )
    warehouse.execute("create table intermediate.int_account_health_daily (as_of_date date)")
    add_snapshots(warehouse, "2026-01", accounts=120)
    instance = dg.DagsterInstance.ephemeral()

    def run(day: str) -> dict:
        result = dg.materialize(
            [recommended_weights], resources={"warehouse": warehouse}, partition_key=day, instance=instance
        )
        metadata = result.asset_materializations_for_node(recommended_weights.op.name)[0].metadata
        return {key: value.value for key, value in metadata.items()}

    first = run("2026-06-01")
    assert first["refitted"] is True
    fitted = warehouse.query("select * from marts.recommended_weights order by measure")
    assert list(fitted["measure"]) == ["tickets", "usage"]

    # A day later: the same labelled snapshots and weights, so the same fit; only its date moves on
    second = run("2026-06-02")
    assert second["refitted"] is False and second["inputs_fingerprint"] == first["inputs_fingerprint"]
    kept = warehouse.query("select * from marts.recommended_weights order by measure")
    assert str(kept["labels_known_before"].iloc[0])[:10] == "2026-06-03"
    assert kept.drop(columns="labels_known_before").equals(fitted.drop(columns="labels_known_before"))

    # February's snapshots are labelled on 1 June: known to a run ending after it, so it fits again
    add_snapshots(warehouse, "2026-02", accounts=120)
    third = run("2026-06-03")
    assert third["refitted"] is True and third["inputs_fingerprint"] != first["inputs_fingerprint"]
