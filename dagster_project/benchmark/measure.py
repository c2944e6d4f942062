"""Measuring a benchmark run: memory of the whole process tree over time, and the per-stage summary."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

import psutil

SAMPLE_SECONDS = 0.2

# Stages of the issue, by the Dagster steps that make them; any other step is a check.
STAGES: tuple[tuple[str, frozenset[str]], ...] = (
    ("generate", frozenset({"generate"})),
    ("land raw", frozenset({"land_raw_tables"})),
    ("dbt", frozenset({"dbt_models", "dbt_backtest_models"})),
    ("churn model", frozenset({"churn_model_metrics", "churn_predictions"})),
    ("signals and worklist", frozenset({"customer_signals", "marts__prioritized_accounts", "marts__alerts"})),
    ("recalibration", frozenset({"marts__recommended_weights"})),
    ("publish", frozenset({"published__bi_copy", "published__health_report"})),
    ("checks", frozenset()),
)


@dataclass(frozen=True)
class StageResult:
    """One stage: seconds it ran, the highest memory of the process tree meanwhile, rows it wrote."""

    stage: str
    seconds: float
    peak_rss_bytes: int
    rows: int | None


def tree_rss(process: psutil.Process) -> int:
    """Resident memory of ``process`` and all its descendants (dbt runs as a child process)."""
    total = 0
    for member in [process, *process.children(recursive=True)]:
        try:
            total += member.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total


def run_sampled(command: Sequence[str], env: dict[str, str]) -> tuple[int, list[tuple[float, int]]]:
    """Run ``command``; returns its exit code and (epoch seconds, tree RSS) samples taken meanwhile."""
    process = psutil.Popen(list(command), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    samples: list[tuple[float, int]] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            try:
                samples.append((time.time(), tree_rss(process)))
            except psutil.NoSuchProcess:
                return
            stop.wait(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = process.communicate()
    stop.set()
    sampler.join()
    if process.returncode != 0:
        tail = stderr.decode(errors="replace")[-3000:]
        raise RuntimeError(f"benchmark run {' '.join(command)} failed ({process.returncode}):\n{tail}")
    return process.returncode, samples


def stage_of(step: str) -> str:
    return next((stage for stage, steps in STAGES if step in steps), "checks")


def summarise(steps: list[dict], samples: list[tuple[float, int]]) -> list[StageResult]:
    """Per stage: the summed seconds of its steps, the peak tree RSS within them, their rows."""
    results = []
    for stage, _ in STAGES:
        mine = [s for s in steps if stage_of(s["step"]) == stage]
        if not mine:
            continue
        peak = max((rss for at, rss in samples if any(s["start"] <= at <= s["end"] for s in mine)), default=0)
        rows = sum(s.get("rows") or 0 for s in mine) if stage not in ("dbt", "checks") else None
        results.append(
            StageResult(stage, sum(s["end"] - s["start"] for s in mine), peak_rss_bytes=peak, rows=rows)
        )
    return results


def dbt_layers(model_seconds: dict[str, float]) -> dict[str, float]:
    """dbt's own seconds summed by layer: the first folder of each node's path (seeds are files)."""
    layers: dict[str, float] = {}
    for path, seconds in model_seconds.items():
        layer = path.split("/")[0] if "/" in path else "seeds"
        layers[layer] = layers.get(layer, 0.0) + seconds
    return layers
