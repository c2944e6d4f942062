-- The spine of every per-account daily model: each account on each as-of date from the day its
-- first subscription started (days after a churn included, so a return can be seen).
-- A view: each reader takes its window of days from it, so a daily run no longer writes every account's
-- every day again (36M rows on large) to read one; its tests read the run's days (meta.rebuilt_window).
{{ config(materialized='view', meta={'rebuilt_window': {'column': 'as_of_date', 'days_before': 0}}) }}
with

first_starts as (
    select
        account_id,
        min(cast(started_at as date)) as first_started_on
    from {{ ref('int_subscriptions') }}
    where account_id is not null
    group by account_id
),

account_days as (
    select
        first_starts.account_id,
        dates.as_of_date
    from first_starts
    inner join {{ ref('int_as_of_dates') }} as dates
        on dates.as_of_date >= first_starts.first_started_on
)

select * from account_days
