"""The recalibration asset fits again only when its inputs changed: a labelled snapshot or a weight."""

from __future__ import annotations

from datetime import date

import dagster as dg
import numpy as np
import pandas as pd

from dagster_project.defs.effectiveness.assets import labelled_scorecards, recommended_weights
from dagster_project.effectiveness import Scorecard, recommend, recommend_weights
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


def test_the_warehouse_hands_over_the_snapshots_the_long_rows_describe(tmp_path):
    """The fit reads each scorecard pivoted in the warehouse (a row per snapshot): the same matrices, and
    the same recommendations, as from the long rows (a row per snapshot and measure)."""
    rng = np.random.default_rng(11)
    rows = []
    for scorecard, snapshots in (("default", 300), ("renewal", 80)):
        for i in range(snapshots):
            account, day = (
                f"{scorecard}-{i:03d}",
                pd.Timestamp("2026-01-01") + pd.Timedelta(days=31 * (i % 2)),
            )
            churned = int(rng.uniform() < 0.3)
            override = 55.0 if i % 17 == 0 else None
            for measure, weight in (("usage", 0.7), ("tickets", 0.3)):
                # A missing value now and then; a measure the renewal scorecard does not score
                if measure == "tickets" and (i % 11 == 0 or scorecard == "renewal"):
                    continue
                good = 20.0 if churned else 70.0
                rows.append(
                    _row(scorecard, account, day, measure, weight, good + rng.uniform(0, 30), churned)
                )
                rows[-1]["override_score"] = override
            # A cap measure: holds on every fifth snapshot
            rows.append(_row(scorecard, account, day, "days_past_due", 0.0, None, churned, method="cap"))
            rows[-1].update(is_cap_holding=i % 5 == 0, cap_score=49.0, override_score=override)
    # A snapshot with only a cap row has no points: left out both ways
    rows.append(
        _row("default", "zz-cap-only", pd.Timestamp("2026-01-01"), "days_past_due", 0.0, None, 1, "cap")
    )
    # Labelled after the run's end: not read
    late = _row("default", "late", pd.Timestamp("2026-06-01"), "usage", 0.7, 10.0, 1)
    rows.append({**late, "label_known_on": pd.Timestamp("2026-12-01")})
    frame = pd.DataFrame(rows)
    warehouse = Warehouse(path=str(tmp_path / "warehouse.duckdb"))
    warehouse.execute("create schema intermediate")
    warehouse.write_table("intermediate.int_snapshot_measure_points", frame)
    end = date(2026, 7, 1)

    pivoted = labelled_scorecards(warehouse, end)
    known = frame[frame["label_known_on"] < pd.Timestamp(end)].drop(columns="label_known_on")
    long = [Scorecard.from_rows(sid, group) for sid, group in known.groupby("scorecard_id")]
    assert [card.scorecard_id for card in pivoted] == ["default", "renewal"]
    for read, expected in zip(pivoted, long, strict=True):
        assert read.measures == expected.measures
        assert read.points.shape == expected.points.shape
        for field in ("current", "points", "cap", "override", "churned"):
            np.testing.assert_array_equal(getattr(read, field), getattr(expected, field), err_msg=field)
    assert pivoted[0].points.shape == (300, 2)  # the cap-only and the late snapshot left out
    assert pivoted[1].measures == ["usage"]
    assert recommend(pivoted).equals(recommend_weights(known))


def _row(scorecard, account, day, measure, weight, points, churned, method="percentile") -> dict:
    return {
        "scorecard_id": scorecard,
        "account_id": account,
        "as_of_date": day,
        "measure": measure,
        "category": "value" if method == "cap" else "engagement",
        "weight": weight,
        "method": method,
        "points": points,
        "is_cap_holding": False,
        "cap_score": None,
        "override_score": None,
        "churned": churned,
        "label_known_on": day + pd.Timedelta(days=120),
    }
