"""`make bench` (`python -m dagster_project.benchmark [profile ...]`): run the profiles, rewrite the table.

Each profile is built from nothing in data/bench/<profile>/ by a child process (`benchmark.job`) whose
whole process tree's memory is sampled; then the event roll-up's SQL is run again directly in DuckDB
(the floor) and compared with dbt's time for it. The results replace the part of docs/benchmarks.md
between its markers, with the command and the machine.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import psutil

from dagster_project.benchmark.measure import dbt_layers, run_sampled, summarise
from dagster_project.benchmark.profiles import PROFILES, Profile
from dagster_project.defs.dbt.project import dbt_project

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
ROLLUP = "intermediate/engagement/int_contact_event_days.sql"


def run_profile(profile: Profile) -> dict:
    folder = ROOT / "data" / "bench" / profile.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    env = {
        **os.environ,
        **profile.env(),
        "HEALTH_WAREHOUSE": str(folder / "warehouse.duckdb"),
        "HEALTH_PUBLISH_DIR": str(folder / "published"),
    }
    result_file = folder / "result.json"
    started = time.time()
    _, samples = run_sampled([sys.executable, "-m", "dagster_project.benchmark.job", str(result_file)], env)
    wall = time.time() - started
    result = json.loads(result_file.read_text())
    return {
        "profile": profile,
        "wall": wall,
        "peak": max((rss for _, rss in samples), default=0),
        "stages": summarise(result["steps"], samples),
        "dbt_layers": dbt_layers(result["dbt_models"]),
        "events": result["steps"][0]["tables"].get("intercom_events", 0),
        "contacts": result["steps"][0]["tables"].get("intercom_contacts", 0),
        "floor": event_rollup_floor(folder / "warehouse.duckdb", result),
    }


def event_rollup_floor(warehouse: Path, result: dict) -> dict:
    """The roll-up of raw events into contact-days: dbt's time, and the same compiled SQL run bare."""
    compiled = (
        Path(dbt_project.project_dir)
        / "target"
        / f"run-{result['run_id'][:8]}"
        / "compiled"
        / "customer_health"
        / "models"
        / ROLLUP
    )
    sql = compiled.read_text()
    with duckdb.connect(str(warehouse)) as con:
        started = time.perf_counter()
        rows = con.execute(f"create temp table floor_rollup as {sql}; select count(*) from floor_rollup")
        rows = rows.fetchone()[0]
        bare = time.perf_counter() - started
    return {"dbt": result["dbt_models"].get(ROLLUP), "bare": bare, "rows": rows}


def machine() -> str:
    cpu = (
        next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            platform.processor() or "unknown CPU",
        )
        if Path("/proc/cpuinfo").exists()
        else platform.processor()
    )
    memory = psutil.virtual_memory().total / 2**30
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB memory, {platform.system()} {platform.release()}"
    )


def _size(value: float) -> str:
    return f"{value / 2**30:.2f} GiB" if value >= 2**30 else f"{value / 2**20:.0f} MiB"


def markdown(runs: list[dict], command: str) -> str:
    lines = [
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `{command}` on {machine()}.",
        "",
        "| profile | stage | seconds | peak memory (process tree) | rows |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for run in runs:
        p: Profile = run["profile"]
        name = (
            f"{p.name} ({p.accounts:,} accounts, {run['contacts']:,} contacts, "
            f"{run['events']:,} events, {p.days} days)"
        )
        for stage in run["stages"]:
            rows = "" if stage.rows is None else f"{stage.rows:,}"
            lines.append(
                f"| {name} | {stage.stage} | {stage.seconds:.1f} | {_size(stage.peak_rss_bytes)} | {rows} |"
            )
            name = ""
            if stage.stage == "dbt":
                for layer, seconds in sorted(run["dbt_layers"].items()):
                    lines.append(f"| | dbt: {layer} (dbt's own time) | {seconds:.1f} | | |")
        lines.append(f"| | **whole run** | **{run['wall']:.1f}** | **{_size(run['peak'])}** | |")
    lines += [
        "",
        "Event roll-up (`int_contact_event_days`) against the bare-DuckDB floor (the same compiled SQL):",
        "",
    ]
    lines += ["| profile | dbt | bare DuckDB | ratio | rows |", "| --- | ---: | ---: | ---: | ---: |"]
    for run in runs:
        floor = run["floor"]
        ratio = f"{floor['dbt'] / floor['bare']:.2f}x" if floor["dbt"] and floor["bare"] else "n/a"
        dbt_seconds = floor["dbt"] or 0.0
        lines.append(
            f"| {run['profile'].name} | {dbt_seconds:.1f} s | {floor['bare']:.1f} s | {ratio} "
            f"| {floor['rows']:,} |"
        )
    return "\n".join(lines)


def write_results(text: str, path: Path = RESULTS) -> None:
    """Replace what lies between the markers of ``path`` (the rest is hand-written and kept)."""
    current = path.read_text() if path.exists() else f"# Benchmarks\n\n{START}\n{END}\n"
    head, _, rest = current.partition(START)
    _, _, tail = rest.partition(END)
    path.write_text(f"{head}{START}\n{text}\n{END}{tail}")


def main(names: list[str]) -> int:
    unknown = [n for n in names if n not in PROFILES]
    if unknown:
        print(f"unknown profiles {unknown}; choose from {', '.join(PROFILES)}")
        return 2
    runs = []
    for name in names or list(PROFILES):
        print(f"benchmark {name}: {PROFILES[name]}", flush=True)
        runs.append(run_profile(PROFILES[name]))
        print(f"  done in {runs[-1]['wall']:.0f}s, peak {_size(runs[-1]['peak'])}", flush=True)
    command = "make bench" + (f" PROFILES='{' '.join(names)}'" if names else "")
    write_results(markdown(runs, command))
    print(f"results written to {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
