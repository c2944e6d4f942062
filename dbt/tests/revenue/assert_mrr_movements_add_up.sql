-- Months whose MRR movements do not add up to the change in total MRR between the days that
-- represent the month and the month before in mrr_daily (each month's last day in the history;
-- before the history, the movements' own previous_mrr). The test passes when there are none.
-- A check of mrr_movements in Dagster (the test reads more than one model).
{{ config(meta={'dagster': {'ref': {'name': 'mrr_movements'}}}) }}
with

daily_totals as (
    select
        date,
        sum(mrr) as total_mrr
    from {{ ref('mrr_daily') }}
    group by date
),

-- The last day of each month in the history represents it
month_ends as (
    select
        cast({{ dbt.date_trunc('month', 'date') }} as date) as month,
        max(date) as represented_on
    from daily_totals
    group by 1
),

month_totals as (
    select
        month_ends.month,
        daily_totals.total_mrr,
        lag(daily_totals.total_mrr) over (order by month_ends.month) as previous_total_mrr
    from month_ends
    inner join daily_totals
        on month_ends.represented_on = daily_totals.date
),

movement_totals as (
    select
        month,
        sum(mrr_change) as mrr_change,
        sum(previous_mrr) as previous_mrr
    from {{ ref('mrr_movements') }}
    group by month
),

compared as (
    select
        month_totals.month,
        month_totals.total_mrr,
        coalesce(month_totals.previous_total_mrr, movement_totals.previous_mrr, 0) as previous_total_mrr,
        coalesce(movement_totals.mrr_change, 0) as movements_mrr_change
    from month_totals
    left join movement_totals
        on month_totals.month = movement_totals.month
)

select *
from compared
where movements_mrr_change <> total_mrr - previous_total_mrr
