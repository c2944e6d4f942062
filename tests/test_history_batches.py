"""Cutting a long window of as-of dates into batches of account-days."""

from __future__ import annotations

from datetime import date

from dagster_project.defs.partitions import history_batches

JAN_1, JAN_11 = date(2026, 1, 1), date(2026, 1, 11)


def test_a_window_over_the_limit_is_cut_into_consecutive_batches_of_whole_days():
    # 1,000 accounts x 10 days = 10,000 account-days; 4,000 per batch is 4 days per batch.
    assert history_batches(JAN_1, JAN_11, accounts=1_000, account_days_per_batch=4_000) == [
        (date(2026, 1, 1), date(2026, 1, 5)),
        (date(2026, 1, 5), date(2026, 1, 9)),
        (date(2026, 1, 9), date(2026, 1, 11)),
    ]


def test_a_window_within_the_limit_or_without_one_is_one_batch():
    assert history_batches(JAN_1, JAN_11, accounts=1_000, account_days_per_batch=10_000) == [(JAN_1, JAN_11)]
    assert history_batches(JAN_1, JAN_11, accounts=1_000, account_days_per_batch=0) == [(JAN_1, JAN_11)]


def test_a_book_larger_than_the_limit_is_built_a_day_at_a_time():
    batches = history_batches(JAN_1, date(2026, 1, 4), accounts=50_000, account_days_per_batch=20_000)
    assert batches == [
        (date(2026, 1, 1), date(2026, 1, 2)),
        (date(2026, 1, 2), date(2026, 1, 3)),
        (date(2026, 1, 3), date(2026, 1, 4)),
    ]


def test_only_the_latest_runs_dbt_target_folders_are_kept(tmp_path):
    import os

    from dagster_project.defs.dbt.assets import remove_old_run_targets

    for n in range(6):
        folder = tmp_path / f"run-{n:08d}"
        folder.mkdir()
        (folder / "run_results.json").write_text("{}")
        os.utime(folder, (1_000_000 + n, 1_000_000 + n))
    (tmp_path / "parses").mkdir()  # not a run's folder: kept
    current = tmp_path / "run-00000000"  # the oldest by time, but the run's own: kept
    remove_old_run_targets(current, keep=3)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "parses",
        "run-00000000",
        "run-00000004",
        "run-00000005",
    ]
