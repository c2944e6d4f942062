"""What the report reads from the warehouse: one query per chart, aggregated there, not in Python.

The daily history holds one row per account and day (hundreds of thousands of
rows): it is reduced to a few rows per day inside the warehouse, so the report
only ever moves small frames. A missing table fails the query (the report is
not written); an empty one gives an empty frame, drawn as "no data yet".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

import pandas as pd

# How many accounts of the worklist the report lists.
TOP_ACCOUNTS = 25


class Reader(Protocol):
    """Anything that runs a read query and returns a DataFrame (the `Warehouse` resource does)."""

    def query(self, sql: str, params: list | None = None) -> pd.DataFrame: ...


AS_OF_DATE_SQL = "select max(as_of_date) as as_of_date from marts.customer_health"

# Today's accounts per segment and grade.
GRADE_DISTRIBUTION_SQL = """
select segment, grade, count(*) as accounts
from marts.customer_health
group by segment, grade
order by segment, grade
"""

# Per day: the book's average health score, and each colour's share of the accounts scored that day.
HEALTH_TREND_SQL = """
with daily as (
    select as_of_date, avg(cast(health_score as double)) as average_health_score, count(*) as accounts
    from marts.customer_health_history
    group by as_of_date
),

colours as (
    select as_of_date, color, count(*) as accounts
    from marts.customer_health_history
    group by as_of_date, color
)

select
    colours.as_of_date,
    daily.average_health_score,
    colours.color,
    cast(colours.accounts as double) / daily.accounts as share
from colours
inner join daily on colours.as_of_date = daily.as_of_date
order by colours.as_of_date, colours.color
"""

# The backtest of the grades over all accounts (the per-segment and colour rows are other views).
CHURN_BY_GRADE_SQL = """
select
    dimension_value as grade,
    account_snapshots,
    churned,
    cast(churn_rate as double) as churn_rate,
    cast(base_rate as double) as base_rate,
    cast(lift as double) as lift
from marts.score_effectiveness
where segment = 'all' and dimension = 'grade'
order by grade
"""

# Only what the ROC curves need: one row per account snapshot of the backtest.
BACKTEST_SQL = """
select
    cast(health_score as double) as health_score,
    cast(churn_likelihood as double) as churn_likelihood,
    cast(churned_within_horizon as integer) as churned_within_horizon
from marts.churn_backtest
where health_score is not null and churn_likelihood is not null and churned_within_horizon is not null
"""

# The capture curve of each ordering over the whole book (marts.worklist_effectiveness).
CAPTURE_SQL = """
select method, is_default, list_share, cast(churned_mrr_share as double) as churned_mrr_share
from marts.worklist_effectiveness
where segment = 'all' and churned_mrr_share is not null
order by method, list_share
"""

UNASSIGNED_SQL = """
select count(*) as accounts, count(case when priority_tier = 'P1' then 1 end) as p1_accounts
from marts.prioritized_accounts
where queue = 'unassigned'
"""

REVENUE_BY_TIER_SQL = """
select priority_tier, count(*) as accounts, sum(cast(revenue_at_risk as double)) as revenue_at_risk
from marts.prioritized_accounts
group by priority_tier
order by priority_tier
"""

# Months without a change ('unchanged') add nothing to a chart of changes.
MRR_MOVEMENTS_SQL = """
select month, movement, sum(cast(mrr_change as double)) as mrr_change
from marts.mrr_movements
where movement <> 'unchanged'
group by month, movement
order by month, movement
"""

TOP_ACCOUNTS_SQL = """
select
    priority_rank, account_name, account_id, queue, play, play_reason, priority_tier, tier_name, grade,
    health_score, churn_likelihood, risk_horizon_days, priority_score, signal, reasons, recommended_action
from marts.prioritized_accounts
order by priority_rank
limit ?
"""


@dataclass(frozen=True)
class ReportData:
    """The small frames the report is drawn from, and the day it describes (None before any data)."""

    as_of_date: date | None
    grade_distribution: pd.DataFrame
    health_trend: pd.DataFrame
    churn_by_grade: pd.DataFrame
    backtest: pd.DataFrame
    revenue_by_tier: pd.DataFrame
    mrr_movements: pd.DataFrame
    top_accounts: pd.DataFrame
    capture: pd.DataFrame
    unassigned: pd.DataFrame


def load_report_data(reader: Reader, top: int = TOP_ACCOUNTS) -> ReportData:
    """Run every query of the report; raises if a table it reads does not exist."""
    return ReportData(
        as_of_date=_as_of_date(reader),
        grade_distribution=reader.query(GRADE_DISTRIBUTION_SQL),
        health_trend=reader.query(HEALTH_TREND_SQL),
        churn_by_grade=reader.query(CHURN_BY_GRADE_SQL),
        backtest=reader.query(BACKTEST_SQL),
        revenue_by_tier=reader.query(REVENUE_BY_TIER_SQL),
        mrr_movements=reader.query(MRR_MOVEMENTS_SQL),
        top_accounts=reader.query(TOP_ACCOUNTS_SQL, [top]),
        capture=reader.query(CAPTURE_SQL),
        unassigned=reader.query(UNASSIGNED_SQL),
    )


def _as_of_date(reader: Reader) -> date | None:
    value = reader.query(AS_OF_DATE_SQL)["as_of_date"].iloc[0]
    return None if pd.isna(value) else pd.Timestamp(value).date()
