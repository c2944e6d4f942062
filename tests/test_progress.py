"""What the terminal shows after a run: a warnings block, a line per kind with a count and one example."""

import dagster as dg

from dagster_project.progress import RunWarnings


def evaluation(check: str, passed: bool, severity=dg.AssetCheckSeverity.WARN, **metadata):
    return dg.AssetCheckEvaluation(
        asset_key=dg.AssetKey(["raw", "intercom_events"]),
        check_name=check,
        passed=passed,
        severity=severity,
        metadata=metadata,
    )


def test_every_kind_of_warning_is_counted_with_one_example():
    warnings = RunWarnings()
    warnings.from_log("land_raw_tables", "raw.intercom_events: 318 rows match no billing customer's account")
    warnings.from_log("land_raw_tables", "raw.intercom_tickets: 13 rows match no billing customer's account")
    warnings.from_log("churn_model_metrics", "churn model fell back to segment churn rates: too few churners")
    # dagster-dbt's wiring note is not about the data.
    warnings.from_log(
        "dbt_models", "Logging an `AssetObservation` instead of an `AssetCheckResult` for dbt test x"
    )
    warnings.from_check(evaluation("source_is_fresh", False, hours_old=7300.5, allowed_hours=36.0))
    warnings.from_check(evaluation("source_is_fresh", True))
    warnings.from_check(evaluation("not_null_x", False))
    warnings.from_check(evaluation("reconciles_with_raw", False, severity=dg.AssetCheckSeverity.ERROR))
    warnings.from_landing(
        "raw.stripe_customers",
        {
            "records_quarantined": 2,
            "quarantine_reasons": {"created": 1, "invalid JSON": 1},
            "records_superseded": 0,
        },
    )
    lines = warnings.lines()
    assert lines[0] == "Warnings (6 kinds; the log has each in full):"
    assert lines[1:] == [
        "  accounts with no billing customer: 2, e.g. "
        "raw.intercom_events: 318 rows match no billing customer's account",
        "  quarantined records: 2, e.g. raw.stripe_customers: 2 (created, invalid JSON)",
        "  churn model: 1, e.g. churn model fell back to segment churn rates: too few churners",
        "  stale sources: 1, e.g. raw/intercom_events source_is_fresh (hours_old 7300.5, allowed_hours 36.0)",
        "  checks that warned: 1, e.g. raw/intercom_events not_null_x",
        "  checks that failed: 1, e.g. raw/intercom_events reconciles_with_raw",
    ]


def test_a_clean_run_prints_no_block():
    warnings = RunWarnings()
    warnings.from_check(evaluation("source_is_fresh", True))
    warnings.from_landing("raw.stripe_customers", {"records_quarantined": 0})
    assert warnings.lines() == []
