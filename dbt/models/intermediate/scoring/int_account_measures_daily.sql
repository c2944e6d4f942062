{{ config(materialized='incremental', incremental_strategy='as_of_window') }}

{#- Every measure that scorecards can use, by the model that computes it. A new measure is one
    more column here (and a label in seeds/measure_labels.csv). -#}
{%- set measures_by_model = {
    'int_account_engagement_daily': [
        'weighted_events_30d', 'events_30d', 'active_contacts_7d', 'active_contacts_30d', 'engagement_trend',
    ],
    'int_account_adoption_daily': ['feature_breadth', 'seat_depth'],
    'int_account_support_daily': [
        'tickets_90d', 'weighted_tickets_90d', 'open_urgent_tickets', 'open_high_tickets',
        'oldest_open_urgent_ticket_days', 'median_hours_to_close_90d', 'csat_average_90d', 'nps_latest',
    ],
    'int_account_relationship_daily': ['days_since_two_way_conversation', 'outreach_answer_rate_90d'],
    'int_account_revenue_daily': [
        'mrr', 'mrr_change_90d', 'failed_invoices_90d', 'open_past_due_invoices', 'days_past_due',
        'tenure_days', 'days_to_renewal',
    ],
} %}

-- Every measure of every active account-day, one row each (null when the measure has no value)
with

active_days as (
    select
        account_id,
        as_of_date
    from {{ ref('int_account_segments_daily') }}
    where {{ as_of_window('as_of_date') }}
),

measures as (
    {%- for model, columns in measures_by_model.items() %}
    {%- set outer_loop = loop %}
    {%- for column in columns %}
    select
        active_days.account_id,
        active_days.as_of_date,
        '{{ column }}' as measure,
        cast(source_model.{{ column }} as double) as measure_value
    from active_days
    inner join {{ ref(model) }} as source_model
        on active_days.account_id = source_model.account_id
        and active_days.as_of_date = source_model.as_of_date
    {% if not (loop.last and outer_loop.last) %}union all{% endif %}
    {%- endfor %}
    {%- endfor %}
)

select * from measures
