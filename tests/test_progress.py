"""What the terminal shows after a run: a warnings block, a line per kind with a count and one example;
and what the run's log file shows of a range of days."""

import io

import dagster as dg
from rich.console import Console

from dagster_project.progress import DaysMaterialised, ProgressHandler, RunWarnings, progress_logger


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


DAYS = dg.DailyPartitionsDefinition(start_date="2026-03-01", end_date="2026-03-11")


@dg.multi_asset(
    specs=[
        dg.AssetSpec("history", partitions_def=DAYS),
        dg.AssetSpec("scores", deps=["history"], partitions_def=DAYS),
    ],
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def daily_tables():
    yield dg.MaterializeResult(asset_key="history")
    yield dg.MaterializeResult(asset_key="scores")


def test_a_range_of_days_shows_each_asset_s_first_day_then_one_line_with_the_days(tmp_path):
    log_file = tmp_path / "run.log"
    handler = ProgressHandler(Console(file=io.StringIO()), log_file)
    job = dg.Definitions(assets=[daily_tables]).resolve_implicit_global_asset_job_def()
    result = job.with_logger_defs({"progress": progress_logger(handler)}).execute_in_process(
        run_config={"loggers": {"progress": {}}},
        tags={
            "dagster/asset_partition_range_start": "2026-03-02",
            "dagster/asset_partition_range_end": "2026-03-08",
        },
    )
    handler.close()
    assert result.success
    days = [e.partition for e in result.all_events if e.event_type_value == "ASSET_MATERIALIZATION"]
    assert len(days) == 14  # two assets, 2 to 8 March
    lines = log_file.read_text().splitlines()
    materialised = [line for line in lines if "ASSET_MATERIALIZATION" in line]
    assert len(materialised) == 2  # each asset's first day
    summary = [line for line in lines if "assets materialised for" in line]
    assert len(summary) == 1
    assert summary[0].endswith(
        "daily_tables: 2 assets materialised for 7 days each, 2026-03-02 to 2026-03-08 "
        "(above, each asset's first day; every day is in Dagster's event log)"
    )
    assert lines.index(summary[0]) > max(lines.index(line) for line in materialised)


def test_a_run_of_one_day_writes_every_materialisation_and_no_summary(tmp_path):
    log_file = tmp_path / "run.log"
    handler = ProgressHandler(Console(file=io.StringIO()), log_file)
    job = dg.Definitions(assets=[daily_tables]).resolve_implicit_global_asset_job_def()
    job.with_logger_defs({"progress": progress_logger(handler)}).execute_in_process(
        run_config={"loggers": {"progress": {}}}, partition_key="2026-03-05"
    )
    handler.close()
    text = log_file.read_text()
    assert text.count("ASSET_MATERIALIZATION") == 2
    assert "assets materialised for" not in text


def test_the_summary_of_one_asset_says_so():
    days = DaysMaterialised()
    assert days.add("marts/alerts", "2026-03-02") is False  # its first day is written
    assert days.add("marts/alerts", "2026-03-01") is True
    assert days.line("marts__alerts") == (
        "marts__alerts: 1 asset materialised for 2 days, 2026-03-01 to 2026-03-02 "
        "(above, each asset's first day; every day is in Dagster's event log)"
    )
