{{ config(**incremental_by_day()) }}

{#- Trailing windows end on the as-of date, inclusive: N days are D-(N-1) .. D. Each is computed
    set-wise with a difference array: a day's activity adds to a running total on the day it enters
    a window and subtracts on the day it leaves, so one running sum per account gives every as-of
    date's total at once (no per-date re-scan, no count(distinct) over a range). -#}
{%- set window_days = var('engagement_window_days') | int -%}
{%- set recent_days = 7 -%}

-- Product engagement per account-day: weighted events over the trailing window and the window
-- before it, their ratio (trend), and distinct active contacts over 7 days and the window.
with

-- The as-of dates this run builds
account_days as (
    select
        account_id,
        as_of_date
    from {{ ref('int_account_days') }}
    where {{ as_of_window('as_of_date') }}
),

-- Activity that can still count in this run: older days have left both windows before min_date
contact_event_days as (
    select
        account_id,
        contact_id,
        activity_date,
        events,
        weighted_events
    from {{ ref('int_contact_event_days') }}
    where
        activity_date >= {{ window_start(2 * window_days) }}
        and activity_date < {{ window_end() }}
),

-- Events per account-day
account_activity_days as (
    select
        account_id,
        activity_date,
        sum(events) as events,
        sum(weighted_events) as weighted_events
    from contact_event_days
    group by 1, 2
),

-- A day's events enter the trailing window that day, move to the prior window N days later, leave it 2N days later
event_changes as (
    select
        account_id,
        activity_date as change_on,
        events as events_change,
        weighted_events as weighted_change,
        cast(0 as decimal(18, 4)) as prior_weighted_change,
        0 as recent_contacts_change,
        0 as window_contacts_change
    from account_activity_days

    union all

    select
        account_id,
        {{ add_days(window_days, 'activity_date') }} as change_on,
        -events as events_change,
        -weighted_events as weighted_change,
        weighted_events as prior_weighted_change,
        0 as recent_contacts_change,
        0 as window_contacts_change
    from account_activity_days

    union all

    select
        account_id,
        {{ add_days(2 * window_days, 'activity_date') }} as change_on,
        0 as events_change,
        cast(0 as decimal(18, 4)) as weighted_change,
        -weighted_events as prior_weighted_change,
        0 as recent_contacts_change,
        0 as window_contacts_change
    from account_activity_days
),

-- Days on which each contact did anything
contact_days as (
    select distinct
        account_id,
        contact_id,
        activity_date
    from contact_event_days
    where contact_id is not null
),

-- Gaps to the contact's previous and next active day
contact_day_gaps as (
    select
        account_id,
        contact_id,
        activity_date,
        {{ days_between(
            'lag(activity_date) over (partition by account_id, contact_id order by activity_date)',
            'activity_date'
        ) }} as days_since_previous,
        {{ days_between(
            'activity_date',
            'lead(activity_date) over (partition by account_id, contact_id order by activity_date)'
        ) }} as days_to_next
    from contact_days
),

-- A contact counts as active for N days from each active day; those spells merge into runs, each
-- run adding 1 on its first day and subtracting 1 the day after it ends, so a contact counts once
contact_changes as (
    select
        account_id,
        activity_date as change_on,
        0 as events_change,
        cast(0 as decimal(18, 4)) as weighted_change,
        cast(0 as decimal(18, 4)) as prior_weighted_change,
        case when coalesce(days_since_previous, {{ recent_days + 1 }}) > {{ recent_days }} then 1 else 0 end
            as recent_contacts_change,
        case when coalesce(days_since_previous, {{ window_days + 1 }}) > {{ window_days }} then 1 else 0 end
            as window_contacts_change
    from contact_day_gaps

    union all

    select
        account_id,
        {{ add_days(recent_days, 'activity_date') }} as change_on,
        0 as events_change,
        cast(0 as decimal(18, 4)) as weighted_change,
        cast(0 as decimal(18, 4)) as prior_weighted_change,
        -1 as recent_contacts_change,
        0 as window_contacts_change
    from contact_day_gaps
    where coalesce(days_to_next, {{ recent_days + 1 }}) > {{ recent_days }}

    union all

    select
        account_id,
        {{ add_days(window_days, 'activity_date') }} as change_on,
        0 as events_change,
        cast(0 as decimal(18, 4)) as weighted_change,
        cast(0 as decimal(18, 4)) as prior_weighted_change,
        0 as recent_contacts_change,
        -1 as window_contacts_change
    from contact_day_gaps
    where coalesce(days_to_next, {{ window_days + 1 }}) > {{ window_days }}
),

-- Every change, plus a zero change on each as-of date so that every date gets a running total
timeline as (
    select
        account_id,
        as_of_date as change_on,
        0 as events_change,
        cast(0 as decimal(18, 4)) as weighted_change,
        cast(0 as decimal(18, 4)) as prior_weighted_change,
        0 as recent_contacts_change,
        0 as window_contacts_change
    from account_days

    union all

    select * from event_changes
    where change_on < {{ window_end() }}

    union all

    select * from contact_changes
    where change_on < {{ window_end() }}
),

-- One row per account-day
daily_changes as (
    select
        account_id,
        change_on,
        sum(events_change) as events_change,
        sum(weighted_change) as weighted_change,
        sum(prior_weighted_change) as prior_weighted_change,
        sum(recent_contacts_change) as recent_contacts_change,
        sum(window_contacts_change) as window_contacts_change
    from timeline
    group by 1, 2
),

-- Running totals: each window's content on each day
running_totals as (
    select
        account_id,
        change_on,
        sum(events_change) over account_history as events_in_window,
        sum(weighted_change) over account_history as weighted_in_window,
        sum(prior_weighted_change) over account_history as weighted_in_prior_window,
        sum(recent_contacts_change) over account_history as recent_contacts,
        sum(window_contacts_change) over account_history as window_contacts
    from daily_changes
    window account_history as (
        partition by account_id
        order by change_on
        rows between unbounded preceding and current row
    )
),

-- The window totals on every as-of date, and the trend
final as (
    select
        account_days.account_id,
        account_days.as_of_date,
        cast(running_totals.events_in_window as bigint) as events_30d,
        cast(running_totals.weighted_in_window as decimal(18, 4)) as weighted_events_30d,
        cast(running_totals.weighted_in_prior_window as decimal(18, 4)) as weighted_events_prior_30d,
        case
            when running_totals.weighted_in_prior_window > 0
                then cast(running_totals.weighted_in_window as {{ type_double() }})
                / cast(running_totals.weighted_in_prior_window as {{ type_double() }})
        end as engagement_trend,
        cast(running_totals.recent_contacts as integer) as active_contacts_7d,
        cast(running_totals.window_contacts as integer) as active_contacts_30d
    from account_days
    inner join running_totals
        on account_days.account_id = running_totals.account_id
        and account_days.as_of_date = running_totals.change_on
)

select * from final
