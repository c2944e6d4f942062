{{ config(**incremental_by_day()) }}

{#- Breadth counts the plan's key features (seeds/plan_key_features.csv) used in the trailing window
    D-(N-1) .. D. Like active contacts, a feature counts as used for N days from each day it is used;
    those spells merge into runs that add 1 on their first day and subtract 1 the day after they end.
    The plan can change from day to day, so the running count is kept per account and plan, and each
    as-of date reads the count of the plan it is on. -#}
{%- set window_days = var('engagement_window_days') | int -%}

-- Product adoption per account-day: the share of its plan's key features used over the trailing
-- window (breadth) and active contacts over licensed seats (depth).
with

-- The as-of dates this run builds
account_days as (
    select
        account_id,
        as_of_date
    from {{ ref('int_account_days') }}
    where {{ as_of_window('as_of_date') }}
),

-- Plan and seats of each account-day
plan_days as (
    select
        account_id,
        as_of_date,
        plan_name,
        licensed_seats
    from {{ ref('int_account_revenue_daily') }}
    where {{ as_of_window('as_of_date') }}
),

-- Active contacts over the trailing window, for depth
active_contacts as (
    select
        account_id,
        as_of_date,
        active_contacts_30d
    from {{ ref('int_account_engagement_daily') }}
    where {{ as_of_window('as_of_date') }}
),

-- The analysts' key features of each plan
key_features as (
    select distinct
        lower(plan_name) as plan_name,
        lower(event_name) as event_name
    from {{ ref('plan_key_features') }}
),

-- How many key features each plan has
plan_key_feature_counts as (
    select
        plan_name,
        count(*) as key_features
    from key_features
    group by 1
),

-- Days on which each key feature (of any plan) was used, from those that can still count in this run
feature_days as (
    select distinct
        contact_event_days.account_id,
        contact_event_days.event_name,
        contact_event_days.activity_date
    from {{ ref('int_contact_event_days') }} as contact_event_days
    where
        contact_event_days.event_name in (select key_features.event_name from key_features)
        and contact_event_days.activity_date >= {{ window_start(window_days) }}
        and contact_event_days.activity_date < {{ window_end() }}
),

-- Gaps to the feature's previous and next day of use
feature_day_gaps as (
    select
        account_id,
        event_name,
        activity_date,
        {{ days_between(
            'lag(activity_date) over (partition by account_id, event_name order by activity_date)',
            'activity_date'
        ) }} as days_since_previous,
        {{ days_between(
            'activity_date',
            'lead(activity_date) over (partition by account_id, event_name order by activity_date)'
        ) }} as days_to_next
    from feature_days
),

-- +1 when a run of use starts, -1 the day after it ends
feature_changes as (
    select
        account_id,
        event_name,
        activity_date as change_on,
        1 as used_change
    from feature_day_gaps
    where coalesce(days_since_previous, {{ window_days + 1 }}) > {{ window_days }}

    union all

    select
        account_id,
        event_name,
        {{ add_days(window_days, 'activity_date') }} as change_on,
        -1 as used_change
    from feature_day_gaps
    where coalesce(days_to_next, {{ window_days + 1 }}) > {{ window_days }}
),

-- The same changes, once for every plan whose key feature it is
plan_feature_changes as (
    select
        feature_changes.account_id,
        key_features.plan_name,
        feature_changes.change_on,
        feature_changes.used_change
    from feature_changes
    inner join key_features
        on feature_changes.event_name = key_features.event_name
    where feature_changes.change_on < {{ window_end() }}
),

-- Every change, plus a zero change on each as-of date under the plan the account is on that day
timeline as (
    select
        account_id,
        plan_name,
        as_of_date as change_on,
        0 as used_change
    from plan_days
    where plan_name is not null

    union all

    select
        account_id,
        plan_name,
        change_on,
        used_change
    from plan_feature_changes
),

-- One row per account, plan and day
daily_changes as (
    select
        account_id,
        plan_name,
        change_on,
        sum(used_change) as used_change
    from timeline
    group by 1, 2, 3
),

-- Running count of the plan's key features in use on each day
running_totals as (
    select
        account_id,
        plan_name,
        change_on,
        sum(used_change) over (
            partition by account_id, plan_name
            order by change_on
            rows between unbounded preceding and current row
        ) as key_features_used
    from daily_changes
),

-- Breadth and depth on every as-of date
final as (
    select
        account_days.account_id,
        account_days.as_of_date,
        plan_days.plan_name,
        case when plan_days.plan_name is not null then coalesce(plan_key_feature_counts.key_features, 0) end
            as key_features,
        case when plan_days.plan_name is not null then coalesce(running_totals.key_features_used, 0) end
            as key_features_used_30d,
        case
            when plan_key_feature_counts.key_features > 0
                then cast(coalesce(running_totals.key_features_used, 0) as {{ type_double() }})
                / cast(plan_key_feature_counts.key_features as {{ type_double() }})
        end as feature_breadth,
        plan_days.licensed_seats,
        case
            when plan_days.licensed_seats > 0
                then cast(active_contacts.active_contacts_30d as {{ type_double() }})
                / cast(plan_days.licensed_seats as {{ type_double() }})
        end as seat_depth
    from account_days
    left join plan_days
        on account_days.account_id = plan_days.account_id
        and account_days.as_of_date = plan_days.as_of_date
    left join active_contacts
        on account_days.account_id = active_contacts.account_id
        and account_days.as_of_date = active_contacts.as_of_date
    left join plan_key_feature_counts
        on plan_days.plan_name = plan_key_feature_counts.plan_name
    left join running_totals
        on plan_days.account_id = running_totals.account_id
        and plan_days.plan_name = running_totals.plan_name
        and plan_days.as_of_date = running_totals.change_on
)

select * from final
