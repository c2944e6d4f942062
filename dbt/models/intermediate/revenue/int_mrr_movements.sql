-- One row per account and month with MRR at the month's end or the month before: the MRR movement
-- (new, expansion, contraction, churn, reactivation, unchanged). A month is represented by its
-- last day, the current month by the last as-of date; the movements add up to the change in total MRR.
with

item_periods as (
    select * from {{ ref('int_subscription_item_periods') }}
),

-- The history's months: from the first as-of date's month to the last as-of date's
history as (
    select
        min(as_of_date) as first_date,
        max(as_of_date) as last_date
    from {{ ref('int_as_of_dates') }}
),

-- The month of each account's first subscription: months before it cannot hold MRR
first_months as (
    select
        account_id,
        cast({{ dbt.date_trunc('month', 'min(started_at)') }} as date) as first_month
    from {{ ref('int_subscriptions') }}
    where account_id is not null
    group by account_id
),

-- 0 .. 999: month offsets, enough for 83 years of billing history
digits as (
    select 0 as digit union all select 1 union all select 2 union all select 3 union all select 4
    union all select 5 union all select 6 union all select 7 union all select 8 union all select 9
),

month_offsets as (
    select ones.digit + 10 * tens.digit + 100 * hundreds.digit as month_offset
    from digits as ones
    cross join digits as tens
    cross join digits as hundreds
),

-- Every month from the first subscription's to the last as-of date's, with the day that represents it
months as (
    select
        {{ add_months('month_offsets.month_offset', '(select min(first_month) from first_months)') }} as month
    from month_offsets
),

represented_months as (
    select
        months.month,
        case
            when cast({{ dbt.last_day('months.month', 'month') }} as date) < history.last_date
                then cast({{ dbt.last_day('months.month', 'month') }} as date)
            else history.last_date
        end as represented_on
    from months
    cross join history
    where months.month <= history.last_date
),

-- MRR of each account on each month's representative day, from the account's first month on
account_months as (
    select
        first_months.account_id,
        represented_months.month,
        represented_months.represented_on,
        cast(coalesce(sum(item_periods.mrr), 0) as decimal(18, 2)) as mrr
    from first_months
    inner join represented_months
        on represented_months.month >= first_months.first_month
    left join item_periods
        on first_months.account_id = item_periods.account_id
        and item_periods.valid_from <= represented_months.represented_on
        and represented_months.represented_on < item_periods.valid_to
    group by first_months.account_id, represented_months.month, represented_months.represented_on
),

-- The month before, and whether MRR was ever above 0 before that
with_previous as (
    select
        account_id,
        month,
        represented_on,
        mrr,
        coalesce(lag(mrr) over (partition by account_id order by month), 0) as previous_mrr,
        coalesce(
            max(mrr) over (partition by account_id order by month rows between unbounded preceding and 1 preceding),
            0
        ) as earlier_peak_mrr
    from account_months
),

-- A return after a month or more at zero is a reactivation; a first month above zero is new
classified as (
    select
        account_id,
        month,
        represented_on,
        mrr,
        previous_mrr,
        cast(mrr - previous_mrr as decimal(18, 2)) as mrr_change,
        case
            when previous_mrr = 0 and mrr > 0 and earlier_peak_mrr > 0 then 'reactivation'
            when previous_mrr = 0 and mrr > 0 then 'new'
            when previous_mrr > 0 and mrr = 0 then 'churn'
            when mrr > previous_mrr then 'expansion'
            when mrr < previous_mrr then 'contraction'
            else 'unchanged'
        end as movement
    from with_previous
)

-- The history's months, where the account had MRR at the month's end or the month before
select
    classified.account_id,
    classified.month,
    classified.represented_on,
    classified.mrr,
    classified.previous_mrr,
    classified.mrr_change,
    classified.movement
from classified
cross join history
where classified.month >= cast({{ dbt.date_trunc('month', 'history.first_date') }} as date)
    and (classified.mrr > 0 or classified.previous_mrr > 0)
