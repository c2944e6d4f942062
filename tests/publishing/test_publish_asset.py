"""The publish asset refuses to publish after an error-severity check failed in the same run."""

from __future__ import annotations

import dagster as dg
import pandas as pd

from dagster_project.defs.publishing.assets import published_copy
from dagster_project.defs.publishing.resources import PublishFolder
from dagster_project.progress import user_error
from dagster_project.warehouse.resource import Warehouse

DAY = "2026-06-30"


@dg.asset(key=["marts", "customer_health"])
def customer_health(warehouse: Warehouse) -> None:
    warehouse.write_table("marts.customer_health", pd.DataFrame({"account_id": ["a"], "as_of_date": [DAY]}))


def run(tmp_path, severity: dg.AssetCheckSeverity, passed: bool) -> dg.ExecuteInProcessResult:
    @dg.asset_check(asset=customer_health)
    def plausible() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=passed, severity=severity)

    resources = {
        "warehouse": Warehouse(path=str(tmp_path / "warehouse.duckdb")),
        "publish_folder": PublishFolder(path=str(tmp_path / "published")),
    }
    return dg.materialize(
        [customer_health, plausible, published_copy],
        resources=resources,
        partition_key=DAY,
        raise_on_error=False,
    )


def test_a_failed_error_check_stops_the_publish_and_says_which(tmp_path):
    result = run(tmp_path, dg.AssetCheckSeverity.ERROR, passed=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "error-severity checks failed in this run (marts/customer_health:plausible)" in user_error(
        failure.event_specific_data.error
    )
    assert not (tmp_path / "published" / "health.duckdb").exists()


def test_a_failed_warning_does_not_stop_it(tmp_path):
    assert run(tmp_path, dg.AssetCheckSeverity.WARN, passed=False).success
    assert (tmp_path / "published" / "health.duckdb").exists()
