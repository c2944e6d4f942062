{{ config(**incremental_by_day()) }}

{#- The measures the churn model learns from. Add one here (and describe it in _churn__models.yml)
    and the next run trains on it; the Python side takes every numeric column as a feature. -#}
{%- set measures = ['weighted_events_30d', 'active_contacts_7d', 'active_contacts_30d', 'engagement_trend',
                    'feature_breadth', 'seat_depth', 'weighted_tickets_90d', 'open_urgent_tickets',
                    'csat_average_90d', 'nps_latest', 'days_since_two_way_conversation',
                    'outreach_answer_rate_90d', 'mrr', 'mrr_change_90d', 'failed_invoices_90d',
                    'days_past_due', 'tenure_days', 'days_to_renewal'] %}

-- The churn model's features for each active account-day: the health scores and the measures as of
-- that day, one column per measure. Training snapshots and daily predictions both read this table,
-- so the model is trained on exactly what it later scores.
with

health as (
    select * from {{ ref('int_account_health_daily') }}
    where {{ as_of_window('as_of_date') }}
),

-- Only the day's own measures: each measure is already computed from what was known that day
measures as (
    select
        account_id,
        as_of_date,
        {%- for measure in measures %}
        {{ measure }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ ref('int_account_measures_daily') }}
    where {{ as_of_window('as_of_date') }}
),

final as (
    select
        health.account_id,
        health.as_of_date,
        health.segment,
        health.lifecycle_stage,
        -- The day the features describe; the churn model refuses a snapshot whose features are later
        coalesce(measures.as_of_date, health.as_of_date) as features_as_of,
        health.health_score,
        health.engagement_score,
        health.adoption_score,
        health.support_score,
        health.relationship_score,
        health.value_score,
        {%- for measure in measures %}
        measures.{{ measure }}{{ "," if not loop.last }}
        {%- endfor %}
    from health
    left join measures
        on health.account_id = measures.account_id
        and health.as_of_date = measures.as_of_date
)

select * from final
