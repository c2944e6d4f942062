-- Every as-of date of the history: from the first day with both billing and product data to the
-- run's last day (the day before max_date), whatever the data says: a book whose sources went quiet
-- is still built to the day being run, its cancellations counted and its sources stale, never as of
-- an earlier "today"; data dated after that day waits for its own run. Built by hand without a window
-- (the default max_date), the history ends on the last day with data. Incremental daily models build
-- the part inside the run's window.
{#- The Dagster job passes history_end: its window's end, or later where later days were built already
    (a run for a past day keeps the whole history of the daily tables); by hand, max_date. -#}
{%- set history_end = window_bound('history_end') %}
{%- set run_end = history_end if history_end < '2999-01-01' else window_bound('max_date') %}
with

data_range as (
    select
        -- Subscriptions may start years before usage was recorded: health needs both.
        greatest(
            (select min(cast(started_at as date)) from {{ ref('stg_stripe__subscriptions') }}),
            coalesce(
                (select min(occurred_on) from {{ ref('stg_intercom__events') }}),
                (select min(cast(started_at as date)) from {{ ref('stg_stripe__subscriptions') }})
            )
        ) as first_date,
        {#- 2999-01-01, max_date's default in dbt_project.yml, means no window: all history -#}
        {% if run_end < '2999-01-01' -%}
        {{ add_days(-1, "cast('" ~ run_end ~ "' as date)") }} as last_date
        {%- else -%}
        greatest(
            coalesce((select max(occurred_on) from {{ ref('stg_intercom__events') }}), cast('1900-01-01' as date)),
            coalesce((select max(cast(created_at as date)) from {{ ref('stg_stripe__invoices') }}), cast('1900-01-01' as date)),
            coalesce((select max(cast(created_at as date)) from {{ ref('stg_intercom__tickets') }}), cast('1900-01-01' as date))
        ) as last_date
        {%- endif %}
),

-- 0 .. 9999: day offsets for up to 27 years of history, without a warehouse-specific series function.
digits as (
    select 0 as digit union all select 1 union all select 2 union all select 3 union all select 4
    union all select 5 union all select 6 union all select 7 union all select 8 union all select 9
),

day_offsets as (
    select ones.digit + 10 * tens.digit + 100 * hundreds.digit + 1000 * thousands.digit as day_offset
    from digits as ones
    cross join digits as tens
    cross join digits as hundreds
    cross join digits as thousands
),

dates as (
    select {{ add_days("day_offsets.day_offset", "data_range.first_date") }} as as_of_date
    from day_offsets
    cross join data_range
    where day_offsets.day_offset <= {{ days_between("data_range.first_date", "data_range.last_date") }}
)

select as_of_date
from dates
