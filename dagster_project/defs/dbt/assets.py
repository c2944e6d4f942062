"""Every dbt model and seed as a Dagster asset; dbt tests become asset checks.

Two steps, because some models read what the churn model wrote: `dbt_models` builds everything but the
models tagged `after_churn_model`, and `dbt_backtest_models` builds those once the churn model is trained.
"""

import csv
import hashlib
import json
import os
import shutil
import time
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import dagster as dg
import pandas as pd
from dagster_dbt import DbtCliResource, dbt_assets

from dagster_project.defs.dbt.backtest_inputs import code_version, current_inputs, record_built, why_unchanged
from dagster_project.defs.dbt.project import dbt_project
from dagster_project.defs.dbt.translator import HealthDbtTranslator
from dagster_project.defs.partitions import SINGLE_RUN, as_of_window, daily_partitions, history_batches
from dagster_project.settings import exported
from dagster_project.warehouse.resource import Warehouse
from dagster_project.warehouse.rewritten_days import Rewrite

PREVIEW_ROWS = 5
PREVIEW_COLUMNS = 6
AFTER_CHURN_TAG = "after_churn_model"
AFTER_CHURN_MODEL = f"tag:{AFTER_CHURN_TAG}"
PARTIAL_PARSE = "partial_parse.msgpack"
SAVED_PARSES = 5
# dbt's target folders of the latest runs kept (compiled SQL, run_results.json, dbt.log: about 15 MB
# each); older ones are removed, or a daily schedule fills the disk.
KEPT_RUN_TARGETS = 20


@dbt_assets(
    manifest=dbt_project.manifest_path,
    exclude=AFTER_CHURN_MODEL,
    dagster_dbt_translator=HealthDbtTranslator(),
    partitions_def=daily_partitions,
    backfill_policy=SINGLE_RUN,
)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: Warehouse):
    """Build the selected dbt models and seeds for the run's days and run their tests, in the warehouse
    the raw assets wrote. The run's window [min_date, max_date) is what the incremental models rebuild;
    the other models are rebuilt whole. The published tables (marts) are reported once dbt has
    finished, with their row counts and a preview."""
    yield from _build(context, dbt, warehouse, in_batches=True)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    select=AFTER_CHURN_MODEL,
    dagster_dbt_translator=HealthDbtTranslator(),
    partitions_def=daily_partitions,
    backfill_policy=SINGLE_RUN,
)
def dbt_backtest_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: Warehouse):
    """Build the dbt models that read the churn model's backtest (score_effectiveness and its inputs),
    after the churn model was trained, and run their tests. Skipped, their tables kept, when nothing they
    read changed since they were last built (on most days: see defs/dbt/backtest_inputs.py)."""
    yield from _build(context, dbt, warehouse, is_backtest=True)


def _build(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    warehouse: Warehouse,
    in_batches: bool = False,
    is_backtest: bool = False,
):
    start, end = as_of_window(context)
    backtest = None
    if is_backtest:
        backtest = current_inputs(warehouse, _backtest_code())
        built = all(warehouse.columns(".".join(key.path)) for key in context.selected_asset_keys)
        why = why_unchanged(warehouse, backtest) if built and _all_selected(context) else None
        if why:
            context.log.info(f"the backtest models are not rebuilt: {why}")
            yield from _unchanged_outputs(context, warehouse, why)
            return
    first_build = not _window_models_built(warehouse)
    tested_days = "all" if first_build else "window"
    # Read before dbt starts: an engine may lend the warehouse to dbt's process alone (Spark's metastore).
    batches = [(start, end)]
    if in_batches and _all_selected(context):
        batches = _history_windows(warehouse, start, end, first_build)
    history_end = _history_end(warehouse, end)
    warehouse.log_rewrites(_rewritten_tables(context, batches[0][0], end, first_build))
    _drop_reshaped_seeds(context, warehouse)
    seeds = _seed_files({key.path[-1] for key in context.selected_asset_keys})
    unchanged = [] if first_build else _unchanged_seeds(warehouse, seeds)
    held = []
    with warehouse.exported_to_env():
        # Both dbt steps of a run share a target folder, which starts from this warehouse's last parse.
        target = Path("target") / f"run-{context.run.run_id[:8]}"
        run_target, saved_parse = Path(dbt_project.project_dir) / target, _saved_parse(warehouse)
        _start_from(saved_parse, run_target)
        if len(batches) > 1:
            threads = warehouse.engine.history_batch_threads
            _build_earlier_batches(context, dbt, batches, target, history_end, threads)
            tested_days = "all" if batches[-1][0] > start else tested_days
            start = batches[-1][0]
        # The window goes through the environment, read when a model runs (macros/as_of_window.sql): as
        # --vars it would change dbt's parse state every day, and dbt would parse the whole project again.
        with exported(window_env(start, end, tested_days, history_end)):
            # Unit tests check the SQL, not the day's data: CI runs them (tests/dbt/test_unit_tests.py).
            build = ["build", "--exclude-resource-type", "unit_test"]
            # A seed whose file is as it was when it was last loaded is not loaded again, nor tested; nor a
            # model that reads only such seeds, its SQL unchanged. They are reported first: Dagster takes
            # a step's assets in the order of the graph.
            if unchanged:
                build += ["--exclude", " ".join(unchanged)]
            reported = set()
            for name in unchanged:
                output = _unchanged_output(context, name)
                reported.add(output.output_name)
                yield output
            for event in dbt.cli(build, context=context, target_path=target).stream():
                if isinstance(event, dg.Output):
                    reported.add(event.output_name)
                # dbt holds the warehouse until it exits: a published table is described after, and
                # every event after it waits with it, so that assets are still yielded in the graph's
                # order (a model may depend on a published one: int_account_billing_fingerprints)
                if held or _is_published(context, event):
                    held.append(event)
                else:
                    yield event
        _keep_parse(run_target, saved_parse)
        remove_old_run_targets(run_target)
        _record_loaded_seeds(warehouse, seeds)
        _check_all_reported(context, reported)
    record_built(warehouse, backtest)
    for event in held:
        described = isinstance(event, dg.Output) and _is_published(context, event)
        yield _described(context, warehouse, event) if described else event


def _check_all_reported(context: dg.AssetExecutionContext, reported: set[str]) -> None:
    """Fail when dbt succeeded but some model's result never reached Dagster: its downstream assets
    would be skipped without a word. dagster-dbt reads dbt's JSON log lines, so output that shares a
    line with them (Spark's console progress bar once did) hides a result."""
    built = {context.assets_def.get_output_name_for_asset_key(k) for k in context.selected_asset_keys}
    unreported = sorted(built - reported)
    if unreported:
        raise dg.Failure(
            f"dbt finished, but Dagster read no result for {len(unreported)} of its nodes "
            f"({', '.join(unreported[:5])}{', ...' if len(unreported) > 5 else ''}). Something wrote into "
            "dbt's JSON log lines: see the step's log for lines that mix dbt's JSON with other output."
        )


def _rewritten_tables(
    context: dg.AssetExecutionContext, start: date, end: date, first_build: bool
) -> list[Rewrite]:
    """The tables the step is about to build (not the views), each with the days it replaces: a model
    that rebuilds a window of days replaces those (and the days before it that it declares), any other
    model, or any model on a first build, its whole table."""
    windows = {(node["schema"], node["alias"]): node for node in window_model_nodes()}
    rewrites = []
    for key in sorted(context.selected_asset_keys):
        if key.path[0] not in ("intermediate", "marts") or (key.path[0], key.path[-1]) in _view_names():
            continue
        node = windows.get((key.path[0], key.path[-1]))
        table = ".".join(key.path)
        if node is None or first_build:
            rewrites.append(Rewrite(table))
            continue
        days_before = int(node["config"].get("meta", {}).get("rebuilt_window", {}).get("days_before", 0))
        rewrites.append(Rewrite(table, start - timedelta(days=days_before), end))
    return rewrites


def _all_selected(context: dg.AssetExecutionContext) -> bool:
    return context.selected_asset_keys == context.assets_def.keys


def _backtest_code() -> str:
    """The identity of the backtest models and their tests, and of the project's settings."""
    models = {node["unique_id"] for node in _manifest_nodes() if AFTER_CHURN_TAG in node["tags"]}
    nodes = [
        node
        for node in _manifest_nodes()
        if node["unique_id"] in models or set(node.get("depends_on", {}).get("nodes", [])) & models
    ]
    return code_version(nodes, (Path(dbt_project.project_dir) / "dbt_project.yml").read_text())


def _unchanged_outputs(context: dg.AssetExecutionContext, warehouse: Warehouse, why: str):
    """The materialisations of models that were not rebuilt: their tables are what they were."""
    for key in sorted(context.selected_asset_keys):
        table = ".".join(key.path)
        yield dg.Output(
            None,
            output_name=context.assets_def.get_output_name_for_asset_key(key),
            metadata={
                "rebuilt": False,
                "why": why,
                "dagster/row_count": int(warehouse.scalar(f"select count(*) from {table}") or 0),
            },
        )


def window_env(start: date, end: date, tested_days: str, history_end: date) -> dict[str, str]:
    """The environment that gives dbt a run's window of days (macros/as_of_window.sql), which days its
    tests read (``all`` or ``window``) and where the history ends."""
    return {
        "HEALTH_DBT_MIN_DATE": start.isoformat(),
        "HEALTH_DBT_MAX_DATE": end.isoformat(),
        "HEALTH_DBT_HISTORY_END": history_end.isoformat(),
        "HEALTH_DBT_TEST_WINDOW": tested_days,
    }


def _history_end(warehouse: Warehouse, end: date) -> date:
    """Where the history of as-of dates ends (exclusive): the run's window end, or later where later days
    were built already. A run for a past day rebuilds its own days, and the whole-table models (the
    months of MRR movements) keep covering every day the daily tables hold."""
    if not warehouse.columns("intermediate.int_as_of_dates"):
        return end
    built = warehouse.scalar("select max(as_of_date) from intermediate.int_as_of_dates")
    if built is None:
        return end
    return max(end, pd.Timestamp(built).date() + timedelta(days=1))


def _history_windows(
    warehouse: Warehouse, start: date, end: date, first_build: bool
) -> list[tuple[date, date]]:
    """The windows of days the run builds the daily models in, in order: one, unless the history is
    longer than the warehouse's batch size.

    A first build covers the history from the first day of events. A book whose history holds more
    account-days than the warehouse's batch size is built in consecutive windows, each the same
    incremental rebuild as a backfill of those days, so memory and spill stay those of one batch."""
    first_day = min(start, _first_event_day(warehouse) or start) if first_build else start
    accounts = int(warehouse.scalar("select count(*) from raw.stripe_customers") or 0)
    batches = history_batches(first_day, end, accounts, warehouse.account_days_per_batch)
    return batches if len(batches) > 1 else [(start, end)]


def _build_earlier_batches(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    batches: list[tuple[date, date]],
    target: Path,
    history_end: date,
    threads: int | None = None,
) -> None:
    """Build the daily models over every batch but the last, one dbt run per batch (the run's own build
    covers the last), on ``threads`` of dbt's (else the profile's). The models' tests run once, over
    every day, in the last batch's build."""
    first_day, end = batches[0][0], batches[-1][1]
    rolled_up = sorted(_rolled_up_model_names())
    daily = sorted(_window_model_names() - set(rolled_up))
    # A roll-up that rebuilds days before its window (the events') is built once over all the days:
    # batch by batch it would roll the same days up again for every batch.
    steps = [("roll-ups over the whole history", (first_day, end), [f"+{m}" for m in rolled_up], [])]
    for number, window in enumerate(batches[:-1], start=1):
        # The first batch also builds what the daily models read (seeds and whole tables), once.
        select = [f"+{m}" for m in daily] if number == 1 else daily
        steps.append((f"history batch {number} of {len(batches)}", window, select, rolled_up))
    for name, (batch_start, batch_end), select, excluded in steps:
        # One value per flag: dagster-dbt splits it on spaces.
        args = ["build", "--select", " ".join(select), "--exclude", " ".join([AFTER_CHURN_MODEL, *excluded])]
        args += ["--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]
        args += ["--threads", str(threads)] if threads else []
        started = time.monotonic()
        with exported(window_env(batch_start, batch_end, "window", history_end)):
            dbt.cli(args, target_path=target).wait()
        context.log.info(f"{name}: [{batch_start}, {batch_end}) built in {time.monotonic() - started:.0f} s")


def _drop_reshaped_seeds(context: dg.AssetExecutionContext, warehouse: Warehouse) -> None:
    """Drop each seed table whose columns differ from its CSV's header, so that dbt creates it again.
    dbt reloads an existing seed by position into the table's old columns: a seed an analyst gave a new
    column would land under the old names and fail its tests until a full refresh."""
    for seed in _seed_nodes():
        table = f"{seed['schema']}.{seed['alias']}"
        loaded = [name.lower() for name, _ in warehouse.columns(table)]
        path = Path(dbt_project.project_dir) / seed["original_file_path"]
        if not loaded or not path.exists():
            continue
        with path.open(newline="", encoding="utf-8") as file:
            header = [name.strip().lower() for name in next(csv.reader(file), [])]
        if header != loaded:
            context.log.info(f"{table}: its columns changed in {path.name}; dropped for dbt to load it anew")
            warehouse.execute(f"drop table {table}")


def _seed_files(selected: set[str]) -> dict[str, str]:
    """The selected seeds' names and the fingerprints of what dbt would load: the CSV's bytes and the
    seed's config (its column types), read now, so that a seed edited after `make` parsed is seen. And
    the selected models that read seeds alone, each with a fingerprint of its seeds' and of its SQL,
    config, macros and the project's vars (dbt_project.yml)."""
    files = {}
    for seed in _seed_nodes():
        path = Path(dbt_project.project_dir) / seed["original_file_path"]
        if seed["name"] in selected and path.exists():
            digest = hashlib.sha256(path.read_bytes())
            digest.update(json.dumps(seed["config"], sort_keys=True, default=str).encode())
            files[seed["name"]] = digest.hexdigest()
    seeds = {seed["unique_id"]: seed["name"] for seed in _seed_nodes()}
    project = (Path(dbt_project.project_dir) / "dbt_project.yml").read_bytes()
    for model in seed_only_models():
        read = [files.get(seeds[parent]) for parent in model["depends_on"]["nodes"]]
        if model["name"] not in selected or None in read:
            continue
        files[model["name"]] = seed_only_model_fingerprint(model, read, project)
    return files


def seed_only_model_fingerprint(model: dict, seeds: list[str], project: bytes) -> str:
    """What a model of seeds alone is built from: its seeds' fingerprints, its SQL, config and macros, and
    the project file (its vars)."""
    digest = hashlib.sha256(project)
    for part in (model["checksum"]["checksum"], model["config"], _macro_checksums(model), seeds):
        digest.update(json.dumps(part, sort_keys=True, default=str).encode())
    return digest.hexdigest()


@cache
def seed_only_models() -> tuple[dict, ...]:
    """The models built as tables from seeds alone (the scoring settings' version, the currency rates):
    like the seeds, they change only when a seed's file or their own code does."""
    seeds = {seed["unique_id"] for seed in _seed_nodes()}
    return tuple(
        node
        for node in _manifest_nodes()
        if node["resource_type"] == "model"
        and node["config"].get("materialized") == "table"
        and node["depends_on"]["nodes"]
        and set(node["depends_on"]["nodes"]) <= seeds
    )


def _macro_checksums(node: dict) -> list[str]:
    """The checksums of the macros ``node`` calls directly (dbt's manifest lists them)."""
    macros = _manifest()["macros"]
    called = node["depends_on"]["macros"]
    return [macros.get(name, {}).get("checksum", {}).get("checksum", name) for name in called]


def _loaded_seeds_file(warehouse: Warehouse) -> Path:
    """Where the fingerprints of the seeds last loaded into this warehouse are kept (beside its parse)."""
    return _saved_parse(warehouse).with_suffix(".seeds.json")


def _unchanged_seeds(warehouse: Warehouse, seeds: dict[str, str]) -> list[str]:
    """The seeds loaded into this warehouse from the files as they are now, whose tables are still there,
    then the models of seeds alone built from them (the order Dagster takes them in)."""
    try:
        loaded = json.loads(_loaded_seeds_file(warehouse).read_text())
    except (OSError, ValueError):
        return []
    tables = {table for _, table in warehouse.tables()}
    aliases = {node["name"]: node["alias"] for node in (*_seed_nodes(), *seed_only_models())}
    models = {model["name"] for model in seed_only_models()}
    kept = [name for name, digest in seeds.items() if loaded.get(name) == digest and aliases[name] in tables]
    return sorted(kept, key=lambda name: (name in models, name))


def _record_loaded_seeds(warehouse: Warehouse, seeds: dict[str, str]) -> None:
    """Remember what was loaded, once dbt succeeded (a failed build records nothing: the next run loads
    every seed again). Written aside and renamed, as two runs may finish together."""
    if not seeds:
        return
    path = _loaded_seeds_file(warehouse)
    try:
        loaded = json.loads(path.read_text())
    except (OSError, ValueError):
        loaded = {}
    path.parent.mkdir(parents=True, exist_ok=True)
    aside = path.with_name(f"{path.name}.{os.getpid()}")
    aside.write_text(json.dumps({**loaded, **seeds}, indent=2, sort_keys=True))
    os.replace(aside, path)


def _unchanged_output(context: dg.AssetExecutionContext, name: str) -> dg.Output:
    """The materialisation of a seed that was not loaded again (its table is what its file says), or of
    a model of seeds alone that was not rebuilt (its table is what they say)."""
    key = next(key for key in context.selected_asset_keys if key.path[-1] == name)
    if name in {seed["name"] for seed in _seed_nodes()}:
        metadata = {"reloaded": False, "why": "its file is unchanged since it was last loaded and tested"}
    else:
        metadata = {"rebuilt": False, "why": "it reads seeds alone, unchanged, and its code is unchanged"}
    return dg.Output(
        None, output_name=context.assets_def.get_output_name_for_asset_key(key), metadata=metadata
    )


def _seed_nodes() -> tuple[dict, ...]:
    return tuple(node for node in _manifest_nodes() if node["resource_type"] == "seed")


def _saved_parse(warehouse: Warehouse) -> Path:
    """Where the last parse of dbt for this warehouse is kept. dbt parses the whole project again when
    the warehouse (or its engine) differs from its saved parse's, so each warehouse keeps its own: the
    first run on a warehouse parses, the runs after it only check the files."""
    key = hashlib.sha256(warehouse.location.encode()).hexdigest()[:12]
    return Path(dbt_project.project_dir) / "target" / "parses" / f"{key}.msgpack"


def _start_from(saved_parse: Path, run_target: Path) -> None:
    """Put the warehouse's saved parse in the run's target folder (else dagster-dbt copies `make`'s)."""
    if saved_parse.exists():
        run_target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(saved_parse, run_target / PARTIAL_PARSE)


def remove_old_run_targets(run_target: Path, keep: int = KEPT_RUN_TARGETS) -> None:
    """Remove the target folders of all but the ``keep`` latest runs (the current one always stays)."""
    folders = sorted(
        (p for p in run_target.parent.glob("run-*") if p.is_dir() and p != run_target),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in folders[max(keep - 1, 0) :]:
        shutil.rmtree(old, ignore_errors=True)


def _keep_parse(run_target: Path, saved_parse: Path) -> None:
    """Save the run's parse for the next run on the same warehouse; written aside and renamed, as two
    runs may finish together."""
    parse = run_target / PARTIAL_PARSE
    if parse.exists():
        saved_parse.parent.mkdir(parents=True, exist_ok=True)
        aside = saved_parse.with_name(f"{saved_parse.name}.{run_target.name}")
        shutil.copyfile(parse, aside)
        os.replace(aside, saved_parse)
        # One per warehouse path: tests and benchmarks make many, a deployment uses one or two.
        kept = sorted(saved_parse.parent.glob("*.msgpack"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in kept[SAVED_PARSES:]:
            old.unlink(missing_ok=True)


def _window_models_built(warehouse: Warehouse) -> bool:
    """Whether every model that rebuilds a window of days exists already: then the run's data tests of
    those models read only the rebuilt days (macros/get_where_subquery.sql), as the days before were
    tested when they were built. On a first build some table is missing and every row is tested."""
    return _window_model_tables() <= set(warehouse.tables())


def _first_event_day(warehouse: Warehouse) -> date | None:
    """The first day of product events landed: where the history of as-of dates begins at the earliest."""
    if not warehouse.columns("raw.intercom_events"):
        return None
    day = warehouse.scalar("select min(occurred_at) from raw.intercom_events")
    return None if day is None else day.date()


@cache
def _window_model_names() -> frozenset[str]:
    return frozenset(node["name"] for node in daily_model_nodes())


@cache
def daily_model_nodes() -> tuple[dict, ...]:
    """The models built in history batches: those that rebuild a window of days, before the churn model."""
    return tuple(node for node in window_model_nodes() if AFTER_CHURN_TAG not in node["tags"])


@cache
def _rolled_up_model_names() -> frozenset[str]:
    """The models that rebuild days before the run's window as well (`meta.rebuilt_window`)."""
    return frozenset(
        node["name"] for node in window_model_nodes() if "rebuilt_window" in node["config"].get("meta", {})
    )


@cache
def _window_model_tables() -> frozenset[tuple[str, str]]:
    return frozenset((node["schema"], node["alias"]) for node in window_model_nodes())


@cache
def window_model_nodes() -> tuple[dict, ...]:
    """Each model that rebuilds a window of days, read from the manifest once (the code location's
    manifest does not change while it is loaded)."""
    return tuple(
        node
        for node in _manifest_nodes()
        if node["resource_type"] == "model"
        and node["config"].get("materialized") != "view"
        and (_rebuilds_days(node["config"]) or "rebuilt_window" in node["config"].get("meta", {}))
    )


@cache
def _view_names() -> frozenset[tuple[str, str]]:
    """(schema, name) of each model built as a view: nothing is written, so nothing is logged."""
    return frozenset(
        (node["schema"], node["alias"])
        for node in _manifest_nodes()
        if node["resource_type"] == "model" and node["config"].get("materialized") == "view"
    )


def _rebuilds_days(config: dict) -> bool:
    """Whether a model's incremental strategy rebuilds a window of days: `as_of_window` (DuckDB,
    PostgreSQL) or Spark's partitions of `as_of_date` overwritten."""
    strategy = config.get("incremental_strategy")
    partitions = config.get("partition_by") or []
    return strategy == "as_of_window" or (strategy == "insert_overwrite" and "as_of_date" in partitions)


def _is_published(context: dg.AssetExecutionContext, event) -> bool:
    if isinstance(event, dg.Output):
        return context.asset_key_for_output(event.output_name).path[0] == "marts"
    key = getattr(event, "asset_key", None)
    return key is not None and dg.AssetKey.from_coercible(key).path[0] == "marts"


def _described(context: dg.AssetExecutionContext, warehouse: Warehouse, output: dg.Output) -> dg.Output:
    table = ".".join(context.asset_key_for_output(output.output_name).path)
    rows = int(warehouse.scalar(f"select count(*) from {table}"))
    sample = warehouse.query(f"select * from {table} limit {PREVIEW_ROWS}")
    preview = sample.iloc[:, :PREVIEW_COLUMNS].to_markdown(index=False, floatfmt=".2f")
    return output.with_metadata(
        {**output.metadata, "dagster/row_count": rows, "preview": dg.MetadataValue.md(preview)}
    )


@cache
def _manifest() -> dict:
    """The manifest, read once (the code location's manifest does not change while it is loaded)."""
    return json.loads(Path(dbt_project.manifest_path).read_text())


def _manifest_nodes() -> tuple[dict, ...]:
    return tuple(_manifest()["nodes"].values())
