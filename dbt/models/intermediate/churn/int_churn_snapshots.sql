{%- set measures = ['weighted_events_30d', 'active_contacts_7d', 'active_contacts_30d', 'engagement_trend',
                    'feature_breadth', 'seat_depth', 'weighted_tickets_90d', 'open_urgent_tickets',
                    'csat_average_90d', 'nps_latest', 'days_since_two_way_conversation',
                    'outreach_answer_rate_90d', 'mrr', 'mrr_change_90d', 'failed_invoices_90d',
                    'days_past_due', 'tenure_days', 'days_to_renewal'] %}
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
    select
        health.account_id,
        health.as_of_date as snapshot_date,
        health.segment,
        health.lifecycle_stage,
        health.health_score,
        health.engagement_score,
        health.adoption_score,
        health.support_score,
        health.relationship_score,
        health.value_score
    from {{ ref('int_account_health_daily') }} as health
    cross join last_day
    where {{ dbt.date_trunc('month', 'health.as_of_date') }} = health.as_of_date
        and health.as_of_date <= cast({{ dbt.dateadd('day', -(horizon + grace), 'last_day.last_date') }} as date)
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
        snapshots.snapshot_date,
        min(revenue.as_of_date) as revenue_ended_on
    from snapshots
    inner join revenue
        on snapshots.account_id = revenue.account_id
        and revenue.as_of_date > snapshots.snapshot_date
        and revenue.as_of_date <= cast({{ dbt.dateadd('day', horizon, 'snapshots.snapshot_date') }} as date)
        and revenue.mrr = 0
    group by 1, 2
),

-- Ended revenue that came back within the grace period is not churn
came_back as (
    select distinct
        revenue_ended.account_id,
        revenue_ended.snapshot_date
    from revenue_ended
    inner join revenue
        on revenue_ended.account_id = revenue.account_id
        and revenue.as_of_date > revenue_ended.revenue_ended_on
        and revenue.as_of_date <= cast({{ dbt.dateadd('day', grace, 'revenue_ended.revenue_ended_on') }} as date)
        and revenue.mrr > 0
),

-- Features as of the snapshot day, one column per measure
features as (
    select
        measures.account_id,
        measures.as_of_date,
        {%- for measure in measures %}
        max(case when measures.measure = '{{ measure }}' then measures.measure_value end) as {{ measure }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ ref('int_account_measures_daily') }} as measures
    inner join snapshots
        on measures.account_id = snapshots.account_id
        and measures.as_of_date = snapshots.snapshot_date
    group by 1, 2
),

final as (
    select
        snapshots.*,
        {%- for measure in measures %}
        features.{{ measure }},
        {%- endfor %}
        revenue_ended.revenue_ended_on,
        case
            when revenue_ended.revenue_ended_on is not null and came_back.account_id is null then 1
            else 0
        end as churned_within_horizon
    from snapshots
    left join features
        on snapshots.account_id = features.account_id
        and snapshots.snapshot_date = features.as_of_date
    left join revenue_ended
        on snapshots.account_id = revenue_ended.account_id
        and snapshots.snapshot_date = revenue_ended.snapshot_date
    left join came_back
        on snapshots.account_id = came_back.account_id
        and snapshots.snapshot_date = came_back.snapshot_date
)

select * from final
