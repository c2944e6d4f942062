{#- The first build (and a full refresh) reads all history. Later runs rebuild the run's days
    [min_date, max_date) and, of the days its measures read before them (2 x engagement_window_days: the
    trailing and the prior window), those whose roll-up is stale: events loaded since, or other weights
    (macros/stale_activity_days.sql). Those days are deleted first and inserted again (a delete by key
    would join every old row of a day to every new one); on Spark, which cannot delete, the run
    overwrites those days' partitions instead (macros/portable). -#}
{%- set window_days = var('engagement_window_days') | int -%}
{%- set rebuild_from = window_start(2 * window_days) | trim -%}
{%- set rebuild_to = window_end() | trim -%}
{#- The hook is rendered when it runs, so window_start sees is_incremental() as the model does. A table
    built before `loaded_through` existed gets the column (append_new_columns) and its whole look-back
    rebuilt once. -#}
{{ config(
    meta={'rebuilt_window': {'column': 'activity_date', 'days_before': 2 * window_days}},
    on_schema_change='append_new_columns',
    **incremental_by_day(
        column='activity_date',
        strategy='append',
        pre_hook="{% if is_incremental() %}delete from {{ this }} where {{ rebuilt_activity_days('activity_date', window_start("
            ~ (2 * window_days) ~ "), window_end()) }}{% endif %}",
    )
) }}

-- Product events counted per account, contact, event name and day, weighted by seeds/event_weights.csv:
-- the one pass over the events that every engagement and adoption measure starts from.
with

-- Events of the days this run (re)builds
events as (
    select
        account_id,
        contact_id,
        event_name,
        occurred_on,
        loaded_at
    from {{ ref('stg_intercom__events') }}
    -- An event whose contact has no company cannot be credited to any account
    where
        account_id is not null
        {%- if is_incremental() %}
        and {{ rebuilt_activity_days('occurred_on', rebuild_from, rebuild_to) }}
        {%- endif %}
),

-- Analysts' weights; an event they have not listed weighs var('default_event_weight')
event_weights as (
    select
        lower(event_name) as event_name,
        weight
    from {{ ref('event_weights') }}
),

-- One row per account, contact, event name and day
contact_event_days as (
    select
        events.account_id,
        events.contact_id,
        events.event_name,
        events.occurred_on as activity_date,
        count(*) as events,
        max(events.loaded_at) as loaded_through
    from events
    group by 1, 2, 3, 4
),

-- Each row weighted by its event name
weighted as (
    select
        contact_event_days.account_id,
        contact_event_days.contact_id,
        contact_event_days.event_name,
        contact_event_days.activity_date,
        contact_event_days.events,
        event_weights.event_name is not null as is_weight_listed,
        {{ current_event_weight('event_weights.weight') }} as event_weight,
        contact_event_days.events * {{ current_event_weight('event_weights.weight') }} as weighted_events,
        contact_event_days.loaded_through
    from contact_event_days
    left join event_weights
        on contact_event_days.event_name = event_weights.event_name
)

select * from weighted
