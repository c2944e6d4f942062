-- Each churn the snapshots saw (the day an account's revenue ended without coming back) and whether
-- its health colour was below green on any day from 90 to 60 days before: a warning early enough for
-- a CSM to act on. Churns whose account had no health on any of those days (too young) are left out.
with

churns as (
    select
        account_id,
        revenue_ended_on as churned_on
    from {{ ref('int_churn_snapshots') }}
    where churned_within_horizon = 1
    group by 1, 2
),

warning_window as (
    select
        churns.account_id,
        churns.churned_on,
        health.as_of_date,
        health.segment,
        health.color,
        row_number() over (
            partition by churns.account_id, churns.churned_on
            order by health.as_of_date desc
        ) as days_back
    from churns
    inner join {{ ref('int_account_health_daily') }} as health
        on churns.account_id = health.account_id
        and health.as_of_date >= {{ add_days(-90, 'churns.churned_on') }}
        and health.as_of_date <= {{ add_days(-60, 'churns.churned_on') }}
),

final as (
    select
        account_id,
        churned_on,
        -- The segment on the last observed day of the window
        max(case when days_back = 1 then segment end) as segment,
        count(*) as days_observed,
        max(case when color <> 'green' then 1 else 0 end) as was_below_green
    from warning_window
    group by 1, 2
)

select * from final
