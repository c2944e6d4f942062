"""Python checks the dbt tests cannot express: counts reconcile across layers, sources are fresh, and
the day's distribution is plausible. Errors block the publish step; warnings only warn."""

from datetime import UTC, datetime, timedelta

import dagster as dg
import pandas as pd
from dagster_dbt import get_asset_key_for_model

from dagster_project.defs.dbt.assets import dbt_models
from dagster_project.defs.ingestion.landing import CURSORS_TABLE
from dagster_project.settings import env_or
from dagster_project.sources.raw_tables import RAW_TABLES
from dagster_project.warehouse.resource import Warehouse

# Raw tables whose newest record says how fresh a source is, and the column that dates it.
FRESHNESS = {
    "intercom_events": "occurred_at",
    "stripe_invoices": "created_at",
    "intercom_tickets": "created_at",
}
DEFAULT_FRESHNESS_HOURS = 36
# Plausibility: one colour for more than this share of the accounts, or the share of RISK moving more
# than this many points from one day to the next, is worth a look before anyone acts on it.
MAX_COLOR_SHARE = 0.80
MAX_RISK_SHARE_SWING = 0.10


def staging_model(raw_table: str) -> str:
    source, entity = raw_table.split("_", 1)
    return f"stg_{source}__{entity}"


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            "reconciles_with_raw",
            asset=get_asset_key_for_model([dbt_models], staging_model(name)),
            blocking=True,
            description=(
                f"Staged rows of the last load = distinct {table.primary_key} it wrote to raw.{name}; "
                "quarantine reported."
            ),
        )
        for name, table in RAW_TABLES.items()
    ]
)
def staging_reconciles_with_raw(warehouse: Warehouse):
    """Every raw id of the last load is staged exactly once: the staging rows of the table's last load
    equal the distinct ids of the raw rows it wrote (a first build's load is the whole table, a daily
    load the rows it added or changed, so the check costs what the day brought). Records the landing
    quarantined never reach raw and are reported beside."""
    with warehouse.session(read_only=True) as session:
        loads = dict(session.fetchall(f"select table_name, batch_id from {CURSORS_TABLE}"))
        quarantined = dict(
            session.fetchall(
                f"""select quarantine.source_table, count(*)
                    from raw.quarantine as quarantine
                    inner join {CURSORS_TABLE} as cursors
                        on quarantine.source_table = cursors.table_name
                        and quarantine._batch_id = cursors.batch_id
                    group by 1"""
            )
        )
        for name, table in RAW_TABLES.items():
            model = staging_model(name)
            batch = loads.get(name)
            raw_rows, distinct = session.fetchone(
                f"select count(*), count(distinct {table.primary_key}) from raw.{name} where _batch_id = ?",
                [batch],
            )
            staged = session.fetchone(f"select count(*) from staging.{model} where batch_id = ?", [batch])[0]
            yield dg.AssetCheckResult(
                asset_key=get_asset_key_for_model([dbt_models], model),
                check_name="reconciles_with_raw",
                passed=bool(staged == distinct),
                severity=dg.AssetCheckSeverity.ERROR,
                metadata={
                    "last_load": batch or "none",
                    "raw_rows": raw_rows,
                    "raw_distinct_ids": distinct,
                    "staged_rows": staged,
                    "quarantined_last_load": int(quarantined.get(name, 0)),
                },
            )


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            "source_is_fresh",
            asset=["raw", name],
            description=f"The newest {column} is recent enough (HEALTH_FRESHNESS_HOURS, default 36).",
        )
        for name, column in FRESHNESS.items()
    ]
)
def sources_are_fresh(context: dg.AssetCheckExecutionContext, warehouse: Warehouse):
    """The newest event, invoice and ticket are no older than HEALTH_FRESHNESS_HOURS (default 36) before
    the end of the last day the run builds (now, for a run without days): a connector that silently
    stopped would otherwise produce plausible, stale scores."""
    hours = float(env_or("HEALTH_FRESHNESS_HOURS", str(DEFAULT_FRESHNESS_HOURS)))
    reference = _reference_time(context.run.tags)
    for name, column in FRESHNESS.items():
        newest = warehouse.scalar(f"select max({column}) from raw.{name}")
        age = (
            None
            if newest is None
            else (reference - pd.Timestamp(newest).to_pydatetime()).total_seconds() / 3600
        )
        yield dg.AssetCheckResult(
            asset_key=["raw", name],
            check_name="source_is_fresh",
            passed=age is not None and age <= hours,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "newest": str(newest),
                "hours_old": round(age, 1) if age is not None else "no rows",
                "allowed_hours": hours,
                "reference": str(reference),
            },
        )


def _reference_time(tags: dict[str, str]) -> datetime:
    last_day = tags.get("dagster/asset_partition_range_end") or tags.get("dagster/partition")
    if last_day:
        return datetime.fromisoformat(last_day) + timedelta(days=1)
    return datetime.now(UTC).replace(tzinfo=None)


@dg.asset_check(
    asset=get_asset_key_for_model([dbt_models], "customer_health"),
    description=f"No colour holds more than {MAX_COLOR_SHARE:.0%} of the accounts.",
)
def colors_are_plausible(warehouse: Warehouse) -> dg.AssetCheckResult:
    """Warn when more than 80% of today's accounts share one colour: usually a broken input or a
    mis-set grade scale, rarely the truth."""
    shares = warehouse.query(
        "select color, count(*) * 1.0 / sum(count(*)) over () as share from marts.customer_health group by 1"
    )
    top = shares.sort_values("share", ascending=False).head(1)
    share = float(top["share"].iloc[0]) if len(top) else 0.0
    return dg.AssetCheckResult(
        passed=share <= MAX_COLOR_SHARE,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "largest_color": str(top["color"].iloc[0]) if len(top) else "none",
            "share": round(share, 3),
            **{f"share_{r.color}": round(float(r.share), 3) for r in shares.itertuples()},
        },
    )


@dg.asset_check(
    asset=["marts", "customer_signals"],
    description=f"The share of RISK accounts moves at most {MAX_RISK_SHARE_SWING:.0%} points day on day.",
)
def risk_share_is_steady(warehouse: Warehouse) -> dg.AssetCheckResult:
    """Warn when the share of RISK accounts jumps or falls more than 10 points from the previous day:
    a real book does not change that fast; a model or an input usually did."""
    days = warehouse.query(
        """select as_of_date, avg(case when signal = 'RISK' then 1.0 else 0.0 end) as risk_share
           from marts.customer_signals_history
           where as_of_date >= (select max(as_of_date) from marts.customer_signals_history) - interval '1 day'
           group by 1 order by 1"""
    )
    swing = abs(float(days["risk_share"].diff().iloc[-1])) if len(days) == 2 else 0.0
    return dg.AssetCheckResult(
        passed=swing <= MAX_RISK_SHARE_SWING,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "risk_share_today": round(float(days["risk_share"].iloc[-1]), 3) if len(days) else 0.0,
            "risk_share_yesterday": round(float(days["risk_share"].iloc[0]), 3) if len(days) == 2 else "none",
            "swing": round(swing, 3),
        },
    )


QUALITY_CHECKS = [staging_reconciles_with_raw, sources_are_fresh, colors_are_plausible, risk_share_is_steady]
