"""The benchmark's bookkeeping: stages from steps, peaks from samples, dbt layers, the results block."""

from __future__ import annotations

import os
import sys

from dagster_project.benchmark.__main__ import END, START, write_results
from dagster_project.benchmark.measure import dbt_layers, run_sampled, summarise


def test_steps_are_summed_into_stages_with_the_peak_memory_inside_them() -> None:
    steps = [
        {"step": "generate", "start": 0.0, "end": 2.0, "rows": 100},
        {"step": "land_raw_tables", "start": 2.0, "end": 5.0, "rows": 100},
        {"step": "churn_model_metrics", "start": 5.0, "end": 6.0, "rows": 1},
        {"step": "staging_reconciles_with_raw", "start": 6.0, "end": 6.5, "rows": 0},
        {"step": "churn_predictions", "start": 6.5, "end": 8.0, "rows": 40},
    ]
    samples = [(1.0, 10), (3.0, 50), (4.0, 30), (5.5, 20), (6.2, 99), (7.0, 25)]
    stages = {s.stage: s for s in summarise(steps, samples)}
    assert list(stages) == ["generate", "land raw", "churn model", "checks"]
    assert (stages["land raw"].seconds, stages["land raw"].peak_rss_bytes, stages["land raw"].rows) == (
        3.0,
        50,
        100,
    )
    # Two separate steps: 1 s + 1.5 s, and the check's 99 in between belongs to neither.
    churn = stages["churn model"]
    assert (churn.seconds, churn.peak_rss_bytes, churn.rows) == (2.5, 25, 41)
    assert stages["checks"].peak_rss_bytes == 99 and stages["checks"].rows is None


def test_dbt_seconds_are_summed_by_layer_and_seeds_are_files() -> None:
    seconds = {
        "staging/stripe/stg_a.sql": 1.0,
        "staging/intercom/stg_b.sql": 0.5,
        "intermediate/int_c.sql": 2.0,
        "currency_rates.csv": 0.25,
    }
    assert dbt_layers(seconds) == {"staging": 1.5, "intermediate": 2.0, "seeds": 0.25}


def test_a_profile_replaces_only_its_own_block(tmp_path) -> None:
    page = tmp_path / "benchmarks.md"
    page.write_text(f"# Benchmarks\n\nhand-written\n\n{START}\n{END}\n\nafter\n")
    write_results("medium", "medium v1", page)
    write_results("small", "small v1", page)
    write_results("medium", "medium v2", page)
    assert page.read_text() == (
        f"# Benchmarks\n\nhand-written\n\n{START}\n"
        "<!-- bench:small -->\nsmall v1\n<!-- /bench:small -->\n\n"
        "<!-- bench:medium -->\nmedium v2\n<!-- /bench:medium -->\n"
        f"{END}\n\nafter\n"
    )


def test_the_sampler_sees_a_child_process_memory() -> None:
    # The child holds 200 MB for a moment: the tree's peak must include it.
    code = (
        "import time; block = bytearray(200 * 2**20); "
        "block[::4096] = b'x' * len(block[::4096]); time.sleep(1)"  # touch every page
    )
    exit_code, samples = run_sampled([sys.executable, "-c", code], dict(os.environ))
    assert exit_code == 0
    assert max(rss for _, rss in samples) > 200 * 2**20
