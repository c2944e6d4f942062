"""Signals and the prioritised worklist: which accounts need what attention, in what order."""

import dagster as dg
from dagster_dbt import get_asset_key_for_model

from dagster_project.defs.dbt.assets import dbt_models
from dagster_project.defs.owners import ANALYTICS
from dagster_project.defs.partitions import SINGLE_RUN, as_of_window, daily_partitions, python_window
from dagster_project.defs.worklist.current_signals import current_signals
from dagster_project.defs.worklist.reasons import worklist_reasons
from dagster_project.defs.worklist.tables import (
    CUSTOMER_SIGNALS,
    CUSTOMER_SIGNALS_HISTORY,
    PRIORITIZED_ACCOUNTS,
)
from dagster_project.warehouse.resource import Query, Warehouse
from dagster_project.worklist.plays import assign_plays, check_plays
from dagster_project.worklist.priority import UNASSIGNED, prioritize
from dagster_project.worklist.settings import (
    WorklistSettings,
    check_priority_tiers,
    check_signal_actions,
    parse_settings,
)
from dagster_project.worklist.signals import signals_sql

WORKLIST_GROUP = "worklist"
PREDICTIONS_HISTORY = "marts.churn_predictions_history"
# The churn label's horizon when no model recorded one (dbt var churn_horizon_days).
DEFAULT_HORIZON_DAYS = 90


def _dbt(name: str) -> dg.AssetKey:
    return get_asset_key_for_model([dbt_models], name)


def risk_horizon_days(warehouse: Warehouse) -> int:
    """The horizon of the churn likelihood the latest model gives (its label's), in days."""
    horizon = warehouse.scalar(
        "select horizon_days from marts.churn_model_metrics order by trained_at desc limit 1"
    )
    return int(horizon or DEFAULT_HORIZON_DAYS)


def load_settings(warehouse: Warehouse) -> WorklistSettings:
    """The checked settings of seeds/worklist_settings.csv."""
    return parse_settings(warehouse.query("select setting, value from seeds.worklist_settings"))


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ["marts", "customer_signals_history"],
            description=(
                "ProfitWell's signal (RISK, OPPORTUNITY, POWER_USER or NONE) of every active account on "
                "every "
                "as-of date, relative to its segment (or all accounts), with the reason in numbers and the "
                "action item. Computed in the warehouse, set-wise."
            ),
            deps=[
                ["marts", "churn_predictions_history"],
                _dbt("int_account_health_daily"),
                _dbt("signal_actions"),
                _dbt("worklist_settings"),
            ],
            group_name=WORKLIST_GROUP,
            owners=[ANALYTICS],
            kinds={"python", "duckdb"},
            metadata={"dagster/column_schema": CUSTOMER_SIGNALS_HISTORY.column_schema()},
        ),
        dg.AssetSpec(
            ["marts", "customer_signals"],
            description=(
                "Today's signal of every active account, what it was the day before and since when it holds: "
                "the list of accounts to save (RISK), grow (OPPORTUNITY) and nurture (POWER_USER)."
            ),
            deps=[["marts", "customer_signals_history"], _dbt("int_accounts")],
            group_name=WORKLIST_GROUP,
            owners=[ANALYTICS],
            kinds={"python", "duckdb"},
            metadata={"dagster/column_schema": CUSTOMER_SIGNALS.column_schema()},
        ),
    ],
    partitions_def=daily_partitions,
    backfill_policy=SINGLE_RUN,
)
def customer_signals(context: dg.AssetExecutionContext, warehouse: Warehouse):
    """Classify every account-day of the churn predictions, then publish today's signals."""
    settings = load_settings(warehouse)
    check_signal_actions(warehouse.query("select signal, action from seeds.signal_actions"))
    model_kind = warehouse.scalar(
        "select model_kind from marts.churn_model_metrics order by trained_at desc limit 1"
    )
    if model_kind == "segment_prior":
        context.log.warning(
            "the churn model fell back to segment churn rates (see marts.churn_model_metrics.warnings): "
            "every account of a segment has the same churn likelihood, so signals relative to the segment "
            "are NONE"
        )
    window = python_window(context, warehouse, CUSTOMER_SIGNALS_HISTORY.name, PREDICTIONS_HISTORY)
    if window is None:
        raise RuntimeError(
            f"{PREDICTIONS_HISTORY} is empty: materialise marts/churn_predictions_history first."
        )
    start, end = window.start, window.end
    inputs = f"""(
        select predictions.as_of_date, predictions.account_id, health.segment, predictions.churn_likelihood,
               health.engagement_score, health.mrr
        from {PREDICTIONS_HISTORY} as predictions
        inner join intermediate.int_account_health_daily as health
            on predictions.account_id = health.account_id and predictions.as_of_date = health.as_of_date
        -- The window on both sides: each table is read for the run's days only (its zone maps)
        where predictions.as_of_date >= ? and predictions.as_of_date < ?
            and health.as_of_date >= ? and health.as_of_date < ?
    ) as signal_inputs"""
    history = Query(
        signals_sql(inputs, "seeds.signal_actions", settings.signal_peer_group), [start, end, start, end]
    )
    history_rows = warehouse.replace_dates(CUSTOMER_SIGNALS_HISTORY, history, start, end)
    yield dg.MaterializeResult(
        asset_key=["marts", "customer_signals_history"],
        metadata={
            "dagster/row_count": history_rows,
            "window": str(window),
            "peer_group": settings.signal_peer_group,
            "churn_model_kind": model_kind or "none",
        },
    )
    if not window.reaches_latest:
        context.log.info("the run ends before the latest day: marts.customer_signals left as it was")
        yield dg.MaterializeResult(asset_key=["marts", "customer_signals"], metadata={"unchanged": True})
        return
    current_rows = warehouse.write_table(CUSTOMER_SIGNALS, current_signals(warehouse))
    counts = warehouse.query(
        "select signal, count(*) as accounts from marts.customer_signals group by signal order by signal"
    )
    context.log.info(
        f"signals relative to {settings.signal_peer_group}: {dict(counts.itertuples(index=False))}"
    )
    yield dg.MaterializeResult(
        asset_key=["marts", "customer_signals"],
        metadata={
            "dagster/row_count": current_rows,
            **{f"accounts_{row.signal.lower()}": int(row.accounts) for row in counts.itertuples()},
            "preview": dg.MetadataValue.md(counts.to_markdown(index=False)),
        },
    )


@dg.asset(
    key=["marts", "prioritized_accounts"],
    deps=[
        ["marts", "customer_health"],
        ["marts", "churn_predictions"],
        ["marts", "customer_signals"],
        ["marts", "churn_model_metrics"],
        _dbt("int_account_revenue_daily"),
        _dbt("priority_tiers"),
        _dbt("worklist_plays"),
        _dbt("worklist_settings"),
    ],
    group_name=WORKLIST_GROUP,
    owners=[ANALYTICS],
    kinds={"python", "duckdb"},
    metadata={"dagster/column_schema": PRIORITIZED_ACCOUNTS.column_schema()},
    partitions_def=daily_partitions,
    backfill_policy=SINGLE_RUN,
)
def prioritized_accounts(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """Today's worklist for customer success: every active account ordered by what is at stake (by
    default the revenue expected to be lost: churn likelihood x annual revenue; equal scores to the
    sooner renewal), with one play per account (the first of seeds/worklist_plays.csv whose
    trigger holds: fix billing, save, find out what changed, drive adoption, expand, nurture), its action
    and the fact that triggered it, at most three reasons, a tier that agrees with the play (P1 save now,
    P2 protect and grow, P3 digital save, P4 automate), and a queue per owner (accounts without one form
    the 'unassigned' queue). Settings in seeds/worklist_settings.csv. A run that ends before today's
    customer_health leaves it as it was."""
    _, end = as_of_window(context)
    today = warehouse.scalar("select max(as_of_date) from marts.customer_health")
    if today is None or end <= today:
        context.log.info("the run ends before the latest day: marts.prioritized_accounts left as it was")
        return dg.MaterializeResult(metadata={"unchanged": True})
    settings = load_settings(warehouse)
    tiers = check_priority_tiers(warehouse.query("select * from seeds.priority_tiers"))
    plays = check_plays(warehouse.query("select * from seeds.worklist_plays"))
    horizon = risk_horizon_days(warehouse)
    accounts = assign_plays(warehouse.query(WORKLIST_INPUTS_SQL), plays, settings, horizon)
    worklist = prioritize(accounts, settings, tiers, horizon_days=horizon)
    worklist["recommended_action"] = worklist["play_action"]
    worklist["reasons"] = worklist_reasons(worklist, settings.material_risk, horizon)
    worklist["risk_horizon_days"] = horizon
    published = worklist.rename(columns={"account_owner": "owner"})[PRIORITIZED_ACCOUNTS.column_names]
    rows = warehouse.write_table(PRIORITIZED_ACCOUNTS, published)
    tier_counts = worklist["priority_tier"].value_counts().sort_index()
    play_counts = worklist["play"].value_counts()
    unassigned = worklist[worklist["queue"] == UNASSIGNED]
    if len(unassigned):
        context.log.warning(
            f"{len(unassigned)} accounts have no owner (the 'unassigned' queue), "
            f"{int((unassigned['priority_tier'] == 'P1').sum())} of them P1; e.g. "
            f"{unassigned['account_name'].iloc[0]} (rank {unassigned['priority_rank'].iloc[0]})"
        )
    top = published.head(10)[["priority_rank", "account_name", "owner", "play", "priority_tier"]]
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "priority_method": settings.priority_method,
            **{f"tier_{tier.lower()}": int(n) for tier, n in tier_counts.items()},
            **{f"play_{play.replace(' ', '_')}": int(n) for play, n in play_counts.items()},
            "unassigned_accounts": len(unassigned),
            "revenue_at_risk": float(worklist["revenue_at_risk"].sum()),
            "top_10": dg.MetadataValue.md(top.to_markdown(index=False)),
        }
    )


# One row per account of today's customer_health, with what the worklist needs from the other tables.
WORKLIST_INPUTS_SQL = """
select
    health.as_of_date,
    health.account_id,
    health.account_name,
    health.account_owner,
    health.segment,
    health.grade,
    cast(health.health_score as double) as health_score,
    cast(health.health_score_change_30d as double) as health_score_change_30d,
    health.drivers as health_drivers,
    cast(health.mrr as double) as mrr,
    cast(coalesce(revenue.lifetime_value, 0) as double) as lifetime_value,
    revenue.days_to_renewal,
    revenue.open_past_due_invoices,
    revenue.days_past_due,
    revenue.failed_invoices_90d,
    predictions.churn_likelihood,
    predictions.likelihood_to_segment,
    predictions.drivers as churn_drivers,
    predictions.held_down_by as churn_held_down_by,
    signals.signal,
    signals.peer_group,
    signals.peer_churn_likelihood,
    signals.engagement_score,
    signals.peer_engagement_score,
    signals.engagement_percentile,
    signals.peer_arpu
from marts.customer_health as health
left join intermediate.int_account_revenue_daily as revenue
    on health.account_id = revenue.account_id
    and health.as_of_date = revenue.as_of_date
left join marts.churn_predictions as predictions
    on health.account_id = predictions.account_id
    and health.as_of_date = predictions.as_of_date
left join marts.customer_signals as signals
    on health.account_id = signals.account_id
    and health.as_of_date = signals.as_of_date
order by health.account_id
"""
