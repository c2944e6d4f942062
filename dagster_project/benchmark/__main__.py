"""`make bench` (`python -m dagster_project.benchmark [profile ...]`): run the profiles, rewrite the table.

Each profile is built from nothing in data/bench/<profile>/, then the next day is run on top, each by a
child process (`benchmark.job`) whose whole process tree's memory is sampled; then the event roll-up and
one day's measures are timed by dbt alone and bare in DuckDB (the floors, `benchmark.floors`). With
``--history N ...`` the profile is built with each history length and its next day measured. The
results replace their blocks between the markers of docs/benchmarks.md, with the command and the machine.
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

import psutil

from dagster_project.benchmark.floors import Floor, day_measures_floor, event_rollup_floor
from dagster_project.benchmark.measure import STAGES, StageResult, dbt_layers, run_sampled, summarise
from dagster_project.benchmark.profiles import PROFILES, Profile
from dagster_project.warehouse.resource import Warehouse

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "docs" / "benchmarks.md"
# Engines the benchmark runs on (HEALTH_TARGET): each keeps its warehouse in the profile's folder.
ENGINES = ("duckdb", "spark")
ENGINE_NAMES = {"duckdb": "DuckDB", "spark": "Spark (a local session, dbt-spark's `session` method)"}
# The results blocks, in page order: each profile, the same on the other engines, then the next-day runs
# after growing histories.
BLOCKS = (
    *PROFILES,
    *(f"{name}-{engine}" for engine in ENGINES[1:] for name in PROFILES),
    *(f"history-{name}" for name in PROFILES),
)
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def block_name(profile: str, engine: str) -> str:
    """The results block of ``profile`` measured on ``engine``."""
    return profile if engine == "duckdb" else f"{profile}-{engine}"


def run_profile(profile: Profile, floor: bool = True, engine: str = "duckdb") -> dict:
    """Build ``profile`` from nothing (all history up to its end date), then run the next day on top.
    The floors are bare DuckDB: measured on DuckDB only."""
    folder = ROOT / "data" / "bench" / block_name(profile.name, engine)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    check_free_disk(profile, folder)
    # The world runs a day past the first build's end; the next run is that day, and the demo source
    # delivers it as a real source would: the day's events and the rows the day changed.
    build = _run_job(profile, folder, "build", profile.end_date, with_generate=True)
    following = profile.next_day()
    daily = _run_job(following, folder, "daily", following.end_date)
    result = {
        "profile": profile,
        "engine": engine,
        **build,
        "events": build["tables"].get("intercom_events", 0),
        "contacts": build["tables"].get("intercom_contacts", 0),
        "daily": daily,
    }
    if floor and engine == "duckdb":
        warehouse = folder / "warehouse.duckdb"
        result["floor"] = event_rollup_floor(warehouse, build["result"])
        result["day_floor"] = day_measures_floor(warehouse, daily["result"], following.end_date)
    return result


class NotEnoughDisk(RuntimeError):
    """The profile's runs would fill the disk half-way: said before anything runs."""


def check_free_disk(profile: Profile, folder: Path) -> None:
    """Stop before a profile whose runs need more free disk than ``folder``'s file system has."""
    free_gb = shutil.disk_usage(folder).free / 2**30
    if free_gb < profile.disk_gb:
        raise NotEnoughDisk(
            f"{profile.name} needs about {profile.disk_gb:.0f} GB free in {folder} (its warehouse, BI copy "
            f"and DuckDB's spill); {free_gb:.1f} GB are. Free some space (old data/bench folders, test "
            "folders in /tmp) and run it again."
        )


def _run_job(profile: Profile, folder: Path, name: str, day: str, with_generate: bool = False) -> dict:
    """One run of the job for ``day`` in a child process whose process tree's memory is sampled."""
    env = {
        **os.environ,
        **profile.env(),
        "HEALTH_WAREHOUSE": str(folder / "warehouse.duckdb"),
        "HEALTH_PUBLISH_DIR": str(folder / "published"),
        # One run history for both runs, as production keeps: the next day sees what the first build did
        "DAGSTER_HOME": str(folder / "dagster_home"),
    }
    result_file = folder / f"{name}.json"
    command = [sys.executable, "-m", "dagster_project.benchmark.job", str(result_file), day]
    started = time.time()
    _, samples = run_sampled([*command, *(["--generate"] if with_generate else [])], env)
    wall = time.time() - started
    result = json.loads(result_file.read_text())
    tables = result["steps"][0].get("tables", {}) if with_generate else {}
    return {
        "wall": wall,
        "peak": max((rss for _, rss in samples), default=0),
        "stages": summarise(result["steps"], samples),
        "dbt_layers": dbt_layers(result["dbt_models"]),
        "tables": tables,
        "result": result,
    }


def _with_settings(command: str) -> str:
    """The command as run, with the engine settings that change the figures when they were set."""
    names = ("HEALTH_TARGET", "HEALTH_DUCKDB_MEMORY_LIMIT", "HEALTH_SPARK_DRIVER_MEMORY")
    settings = [f"{name}={os.environ[name]}" for name in names if os.environ.get(name)]
    return " ".join([*settings, command])


def machine() -> str:
    memory = psutil.virtual_memory().total / 2**30
    return (
        f"{os.cpu_count()} cores ({_cpu_model()}), {memory:.0f} GiB memory, "
        f"{platform.system()} {platform.release()}"
    )


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.exists() else []
    names = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    return names[0] if names else platform.processor() or "unknown CPU"


def _size(value: float) -> str:
    return f"{value / 2**30:.2f} GiB" if value >= 2**30 else f"{value / 2**20:.0f} MiB"


def markdown(run: dict, command: str) -> str:
    """One profile's results: when and where measured, on which engine, the first build and the next day
    by stage, and the floors of the event roll-up and of one day's measures (DuckDB)."""
    p: Profile = run["profile"]
    engine = "" if run["engine"] == "duckdb" else f" on {ENGINE_NAMES[run['engine']]}"
    lines = [
        f"### {p.name}{engine}: {p.accounts:,} accounts, {run['contacts']:,} contacts, "
        f"{run['events']:,} events, {p.days} days",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `{_with_settings(command)}` on {machine()}.",
        "",
        "| stage | first build: seconds | peak memory | rows | next day: seconds | peak memory | rows |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    daily = {stage.stage: stage for stage in run["daily"]["stages"]}
    for stage in run["stages"]:
        lines.append(f"| {stage.stage} | {_stage_cells(stage)} | {_stage_cells(daily.get(stage.stage))} |")
        if stage.stage == "dbt":
            daily_layers = run["daily"]["dbt_layers"]
            for layer, seconds in sorted(run["dbt_layers"].items()):
                lines.append(
                    f"| &nbsp;&nbsp;dbt: {layer} (dbt's own time, all threads) | {seconds:.1f} | | "
                    f"| {daily_layers.get(layer, 0.0):.1f} | | |"
                )
    lines.append(
        f"| **whole run** | **{run['wall']:.1f}** | **{_size(run['peak'])}** | "
        f"| **{run['daily']['wall']:.1f}** | **{_size(run['daily']['peak'])}** | |"
    )
    floor: Floor | None = run.get("floor")
    if floor and floor.complete:
        title = f"Event roll-up (`int_contact_event_days`, {floor.rows:,} contact-days, first build)"
        lines += ["", _floor_line(title, floor, "the same SQL in bare DuckDB {}", "dbt alone {}", "{}")]
    day: Floor | None = run.get("day_floor")
    if day and day.complete:
        models = f"the next day's {day.models} daily models, roll-ups apart"
        title = f"One day's measures ({models}: {day.rows:,} rows)"
        bare = "their SQL for that day in bare DuckDB {}, one model after the other"
        lines += ["", _floor_line(title, day, bare, "dbt alone, one at a time, {}", "{} of its time")]
    return "\n".join(lines)


def _floor_line(title: str, floor: Floor, bare: str, alone: str, in_job: str) -> str:
    """``title``: the floor, dbt alone against it, and dbt in the job (beside other models on dbt's
    threads) against it; each phrase has ``{}`` where its seconds go."""
    seconds = "{:.1f} s".format
    return (
        f"{title}: {bare.format(seconds(floor.bare))}; {alone.format(seconds(floor.alone))}, "
        f"**{floor.alone / floor.bare:.2f}x** the floor; dbt in the job, beside the other models, "
        f"{in_job.format(seconds(floor.dbt))} ({floor.dbt / floor.bare:.2f}x)."
    )


def history_markdown(profile: Profile, runs: list[dict], command: str) -> str:
    """The next day's run on ``profile`` after histories of different lengths: does it grow?"""
    stages = [stage for stage, _ in STAGES if stage != "generate"]
    lines = [
        f"### next day on {profile.name} ({profile.accounts:,} accounts) after growing histories",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `{_with_settings(command)}` on {machine()}.",
        "",
        "| history | events | first build: s | next day: s | next day: peak | "
        + " | ".join(f"{stage}: s" for stage in stages)
        + " |",
        "| ---: | ---: | ---: | ---: | ---: | " + " | ".join("---:" for _ in stages) + " |",
    ]
    for run in runs:
        daily = {stage.stage: stage.seconds for stage in run["daily"]["stages"]}
        lines.append(
            f"| {run['profile'].days} days | {run['events']:,} | {run['wall']:.1f} | "
            f"{run['daily']['wall']:.1f} | {_size(run['daily']['peak'])} | "
            + " | ".join(f"{daily.get(stage, 0.0):.1f}" for stage in stages)
            + " |"
        )
    return "\n".join(lines)


def _stage_cells(stage: StageResult | None) -> str:
    if stage is None:
        return " | | "
    rows = "" if stage.rows is None else f"{stage.rows:,}"
    return f"{stage.seconds:.1f} | {_size(stage.peak_rss_bytes)} | {rows}"


def write_results(name: str, text: str, path: Path = RESULTS) -> None:
    """Replace profile ``name``'s block inside the results markers of ``path``, keeping the others.

    Blocks stay in the order of BLOCKS (the profiles, then their history series); one never measured
    has no block. The text outside the results markers is written by hand and kept.
    """
    current = path.read_text() if path.exists() else f"# Benchmarks\n\n{START}\n{END}\n"
    head, _, rest = current.partition(START)
    inside, _, tail = rest.partition(END)
    blocks = {n: _block(inside, n) for n in BLOCKS}
    blocks[name] = text
    body = "\n\n".join(
        f"<!-- bench:{n} -->\n{blocks[n].strip()}\n<!-- /bench:{n} -->" for n in BLOCKS if blocks[n]
    )
    path.write_text(f"{head}{START}\n{body}\n{END}{tail}")


def _block(inside: str, name: str) -> str:
    _, found, rest = inside.partition(f"<!-- bench:{name} -->")
    return rest.partition(f"<!-- /bench:{name} -->")[0] if found else ""


def main(args: list[str]) -> int:
    histories = [int(a) for a in args[args.index("--history") + 1 :]] if "--history" in args else []
    names = args[: args.index("--history")] if "--history" in args else args
    unknown = [n for n in names if n not in PROFILES]
    if unknown:
        print(f"unknown profiles {unknown}; choose from {', '.join(PROFILES)}")
        return 2
    engine = Warehouse().target_name
    if engine not in ENGINES:
        print(
            f"make bench builds each profile from nothing in its own folder: HEALTH_TARGET={engine} is not "
            f"supported; choose from {', '.join(ENGINES)}"
        )
        return 2
    if histories and engine != "duckdb":
        print("make bench-history measures DuckDB only")
        return 2
    command = "make bench" + (f" PROFILES='{' '.join(names)}'" if names else "")
    if histories:
        days = " ".join(map(str, histories))
        command = f"make bench-history HISTORY_PROFILES='{' '.join(names)}' HISTORY='{days}'"
    for name in names or list(PROFILES):
        profile = PROFILES[name]
        if histories:
            runs = []
            for days in histories:
                print(f"benchmark {name} with {days} days of history, then the next day", flush=True)
                # The profile's own history is its full measurement too: no need to build it twice.
                own = days == profile.days
                runs.append(run_profile(profile.with_history(days), floor=own))
                print(f"  next day in {runs[-1]['daily']['wall']:.0f}s", flush=True)
                if own:
                    write_results(name, markdown(runs[-1], command))
            write_results(f"history-{name}", history_markdown(profile, runs, command))
        else:
            print(f"benchmark {name}: {profile}", flush=True)
            run = run_profile(profile, engine=engine)
            print(
                f"  built in {run['wall']:.0f}s (peak {_size(run['peak'])}), next day in "
                f"{run['daily']['wall']:.0f}s (peak {_size(run['daily']['peak'])})",
                flush=True,
            )
            write_results(block_name(name, engine), markdown(run, command))  # each as soon as measured
        print(f"  results written to {RESULTS}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
