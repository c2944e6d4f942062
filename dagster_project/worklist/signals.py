"""ProfitWell's signals: RISK, OPPORTUNITY, POWER_USER or NONE for each account-day, with reason and action.

Each account is compared with its peers on the same day: the accounts of its
segment, or every active account (``peer_group="all"``, set in
``seeds/worklist_settings.csv``).

- RISK: churn likelihood above the peers' average and engagement below it.
- OPPORTUNITY: churn likelihood below the average, but engagement below the
  average and/or MRR below the peers' ARPU (average MRR).
- POWER_USER: churn likelihood below the average, engagement above it and MRR
  above the ARPU.
- NONE: everything else, including every tie: a value equal to its average
  (within 1e-9, so a segment of one account is always NONE) is neither above
  nor below it, and a missing value is neither.

Engagement is the engagement category score of the health score (0-100).
Its percentile among the peers is the mid-rank: the share of peers below
plus half the share with the same score, so the lone account of a segment
sits at the 50th. The reason states all three comparisons with their numbers;
where both sides would show the same number, it says so instead of "4% vs 4%".

The classification is one SQL query, run inside the warehouse over any
number of days without moving rows through Python; `assign_signals` runs the
same query on a frame in memory.
"""

from __future__ import annotations

from typing import Literal

import duckdb
import pandas as pd

PeerGroup = Literal["segment", "all"]
INPUT_COLUMNS = ("as_of_date", "account_id", "segment", "churn_likelihood", "engagement_score", "mrr")
# Differences smaller than this are ties: averages of equal doubles are not always exactly equal.
TIE = 1e-9


def signals_sql(inputs: str, actions: str, peer_group: PeerGroup) -> str:
    """The query classifying every row of relation ``inputs`` (`INPUT_COLUMNS`), with ``actions``
    (``signal``, ``action``) joined; one row per input row."""
    if peer_group not in ("segment", "all"):
        raise ValueError(f"peer_group must be 'segment' or 'all', got {peer_group!r}")
    peer = "segment" if peer_group == "segment" else "'all accounts'"
    peer_words = "'segment ' || segment" if peer_group == "segment" else "'all accounts'"
    likelihood = _percent("classified.churn_likelihood")
    peer_likelihood = _percent("classified.peer_churn_likelihood")
    return f"""
with

inputs as (
    select
        as_of_date,
        account_id,
        segment,
        {peer} as peer_group,
        cast(churn_likelihood as double) as churn_likelihood,
        cast(engagement_score as double) as engagement_score,
        cast(mrr as double) as mrr
    from {inputs}
),

compared as (
    select
        *,
        avg(churn_likelihood) over peers as peer_churn_likelihood,
        avg(engagement_score) over peers as peer_engagement_score,
        avg(mrr) over peers as peer_arpu,
        case when engagement_score is not null then
            100.0 * (
                rank() over (partition by as_of_date, peer_group order by engagement_score) - 1
                + 0.5 * count(*) over (partition by as_of_date, peer_group, engagement_score)
            ) / count(engagement_score) over peers
        end as engagement_percentile
    from inputs
    window peers as (partition by as_of_date, peer_group)
),

sides as (
    select
        *,
        case
            when churn_likelihood - peer_churn_likelihood > {TIE} then 'above'
            when peer_churn_likelihood - churn_likelihood > {TIE} then 'below'
        end as likelihood_side,
        case
            when engagement_score - peer_engagement_score > {TIE} then 'above'
            when peer_engagement_score - engagement_score > {TIE} then 'below'
        end as engagement_side,
        case
            when mrr - peer_arpu > {TIE} then 'above'
            when peer_arpu - mrr > {TIE} then 'below'
        end as mrr_side
    from compared
),

classified as (
    select
        *,
        case
            when likelihood_side = 'above' and engagement_side = 'below' then 'RISK'
            when likelihood_side = 'below' and engagement_side = 'above' and mrr_side = 'above'
                then 'POWER_USER'
            when likelihood_side = 'below' and (engagement_side = 'below' or mrr_side = 'below')
                then 'OPPORTUNITY'
            else 'NONE'
        end as signal,
        cast({_rounded("engagement_percentile")} as integer) as percentile_shown
    from sides
),

final as (
    select
        classified.as_of_date,
        classified.account_id,
        classified.segment,
        classified.peer_group,
        classified.signal,
        classified.churn_likelihood,
        classified.peer_churn_likelihood,
        classified.engagement_score,
        classified.engagement_percentile,
        classified.peer_engagement_score,
        classified.mrr,
        classified.peer_arpu,
        'churn likelihood '
            || {likelihood}
            || case
                when {likelihood} = {peer_likelihood} then ', the average in ' || {peer_words}
                else ' vs ' || {peer_likelihood} || ' in ' || {peer_words}
            end
            || '; engagement '
            || case
                when classified.percentile_shown is null then 'unknown'
                else 'at the ' || cast(classified.percentile_shown as varchar)
                    || case
                        when classified.percentile_shown % 100 between 11 and 13 then 'th'
                        when classified.percentile_shown % 10 = 1 then 'st'
                        when classified.percentile_shown % 10 = 2 then 'nd'
                        when classified.percentile_shown % 10 = 3 then 'rd'
                        else 'th'
                    end || ' percentile'
            end
            || '; MRR ' || {_whole("classified.mrr")}
            || case
                when {_whole("classified.mrr")} = {_whole("classified.peer_arpu")} then ', the ARPU'
                else ' vs ARPU ' || {_whole("classified.peer_arpu")}
            end
            as reason,
        actions.action
    from classified
    left join {actions} as actions
        on classified.signal = actions.signal
)

select * from final
"""


def _percent(share: str) -> str:
    return f"coalesce(cast(cast({_rounded(f'100 * {share}')} as integer) as varchar) || '%', 'unknown')"


def _whole(amount: str) -> str:
    return f"coalesce(cast(cast({_rounded(amount)} as bigint) as varchar), 'unknown')"


def _rounded(number: str) -> str:
    """``number`` rounded to a whole, halves away from zero on every engine: PostgreSQL rounds a double's
    halves to even (262.5 to 262), but a decimal's away from zero, as DuckDB and Spark do."""
    return f"round(cast({number} as decimal(38, 9)))"


def assign_signals(
    inputs: pd.DataFrame, actions: pd.DataFrame, peer_group: PeerGroup = "segment"
) -> pd.DataFrame:
    """The signal of every row of ``inputs`` (`INPUT_COLUMNS`), computed in memory by `signals_sql`."""
    missing = [c for c in INPUT_COLUMNS if c not in inputs.columns]
    if missing:
        raise KeyError(f"signal inputs lack the columns {missing}")
    with duckdb.connect() as con:
        con.register("signal_inputs", inputs)
        con.register("signal_actions", actions)
        sql = signals_sql("signal_inputs", "signal_actions", peer_group)
        return con.execute(f"{sql} order by as_of_date, account_id").df()
