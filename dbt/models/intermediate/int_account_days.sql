-- The spine of every per-account daily model: each account on each as-of date from the day its
-- first subscription started (days after a churn included, so a return can be seen).
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
