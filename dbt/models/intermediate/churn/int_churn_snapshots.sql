{%- set horizon = var('churn_horizon_days') | int %}
{%- set grace = var('churn_grace_days') | int %}

-- Training data for the churn model: each active account on the first day of each month, its
-- features as of that day (nothing after it), and whether it churned in the following horizon:
-- its MRR fell to zero within `churn_horizon_days` and did not come back within `churn_grace_days`.
-- Only snapshots whose horizon and grace period have fully passed are labelled.
with

last_day as (
    select max(as_of_date) as last_date
    from {{ ref('int_account_revenue_daily') }}
),

snapshots as (
    select features.*
    from {{ ref('int_account_churn_features_daily') }} as features
    cross join last_day
    where {{ dbt.date_trunc('month', 'features.as_of_date') }} = features.as_of_date
        and features.as_of_date <= {{ add_days(-(horizon + grace), 'last_day.last_date') }}
),

revenue as (
    select
        account_id,
        as_of_date,
        mrr
    from {{ ref('int_account_revenue_daily') }}
),

-- The first day within the horizon on which the account pays nothing
revenue_ended as (
    select
        snapshots.account_id,
        snapshots.as_of_date,
        min(revenue.as_of_date) as revenue_ended_on
    from snapshots
    inner join revenue
        on snapshots.account_id = revenue.account_id
        and revenue.as_of_date > snapshots.as_of_date
        and revenue.as_of_date <= {{ add_days(horizon, 'snapshots.as_of_date') }}
        and revenue.mrr = 0
    group by 1, 2
),

-- Ended revenue that came back within the grace period is not churn
came_back as (
    select distinct
        revenue_ended.account_id,
        revenue_ended.as_of_date
    from revenue_ended
    inner join revenue
        on revenue_ended.account_id = revenue.account_id
        and revenue.as_of_date > revenue_ended.revenue_ended_on
        and revenue.as_of_date <= {{ add_days(grace, 'revenue_ended.revenue_ended_on') }}
        and revenue.mrr > 0
),

final as (
    select
        snapshots.*,
        {{ horizon }} as horizon_days,
        -- From this day on the label is final: a run whose window ends earlier must not train on it
        {{ add_days(horizon + grace, 'snapshots.as_of_date') }} as label_known_on,
        revenue_ended.revenue_ended_on,
        case
            when revenue_ended.revenue_ended_on is not null and came_back.account_id is null then 1
            else 0
        end as churned_within_horizon
    from snapshots
    left join revenue_ended
        on snapshots.account_id = revenue_ended.account_id
        and snapshots.as_of_date = revenue_ended.as_of_date
    left join came_back
        on snapshots.account_id = came_back.account_id
        and snapshots.as_of_date = came_back.as_of_date
)

select * from final
