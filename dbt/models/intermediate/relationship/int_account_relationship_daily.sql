{{ config(**incremental_by_day()) }}

{#- As of date D counts everything up to the end of D. A conversation is dated two-way, or answered,
    on the day of its first response (its start when the source gives no response time): an answer
    that came after D is not known on D. Window counts use a difference array, the last two-way day
    a running max, one pass per account. -#}
{%- set window_days = var('support_window_days') | int -%}

-- Relationship per account-day: days since the last two-way conversation, and the team's outreach
-- over the trailing window with the share the customer answered.
with

-- The as-of dates this run builds
account_days as (
    select
        account_id,
        as_of_date
    from {{ ref('int_account_days') }}
    where {{ as_of_window('as_of_date') }}
),

-- Conversations with their start day and the day of their first response
conversations as (
    select
        account_id,
        initiated_by,
        answered_by,
        is_two_way,
        cast(created_at as date) as created_on,
        -- never before the start, which it also is when the source gives no response time
        case
            when first_response_at > created_at then cast(first_response_at as date)
            else cast(created_at as date)
        end as responded_on
    from {{ ref('stg_intercom__conversations') }}
    where
        account_id is not null
        and cast(created_at as date) < {{ window_end() }}
),

-- The team's outreach that can still count in this run; answered ones with their answer's day
team_outreach as (
    select
        account_id,
        created_on,
        case when answered_by = 'customer' then responded_on end as answered_on
    from conversations
    where
        initiated_by = 'team'
        and created_on >= {{ window_start(window_days) }}
),

-- Every change of a running total, dated the day it takes effect; two-way days carry their date
changes as (
    -- outreach enters the window the day it is sent ...
    select
        account_id,
        created_on as change_on,
        1 as outreach_change,
        0 as answered_change,
        cast(null as date) as two_way_on
    from team_outreach

    union all

    -- ... and leaves it N days later, answered or not
    select
        account_id,
        {{ add_days(window_days, 'created_on') }} as change_on,
        -1 as outreach_change,
        case when answered_on < {{ add_days(window_days, 'created_on') }} then -1 else 0 end
            as answered_change,
        cast(null as date) as two_way_on
    from team_outreach

    union all

    -- it counts as answered from the day the customer answered (if still in the window)
    select
        account_id,
        answered_on as change_on,
        0 as outreach_change,
        1 as answered_change,
        cast(null as date) as two_way_on
    from team_outreach
    where answered_on < {{ add_days(window_days, 'created_on') }}

    union all

    select
        account_id,
        responded_on as change_on,
        0 as outreach_change,
        0 as answered_change,
        responded_on as two_way_on
    from conversations
    where is_two_way
),

-- Every change, plus a zero change on each as-of date so that every date gets a running total
timeline as (
    select
        account_id,
        as_of_date as change_on,
        0 as outreach_change,
        0 as answered_change,
        cast(null as date) as two_way_on
    from account_days

    union all

    select * from changes
    where change_on < {{ window_end() }}
),

-- One row per account-day
daily_changes as (
    select
        account_id,
        change_on,
        sum(outreach_change) as outreach_change,
        sum(answered_change) as answered_change,
        max(two_way_on) as two_way_on
    from timeline
    group by 1, 2
),

-- Running totals of the window and the latest two-way day on each day
running_totals as (
    select
        account_id,
        change_on,
        sum(outreach_change) over account_history as outreach_in_window,
        sum(answered_change) over account_history as answered_in_window,
        max(two_way_on) over account_history as last_two_way_on
    from daily_changes
    window account_history as (
        partition by account_id
        order by change_on
        rows between unbounded preceding and current row
    )
),

-- Every measure on every as-of date
final as (
    select
        account_days.account_id,
        account_days.as_of_date,
        {{ days_between('running_totals.last_two_way_on', 'account_days.as_of_date') }}
            as days_since_two_way_conversation,
        cast(running_totals.outreach_in_window as integer) as team_outreach_90d,
        cast(running_totals.answered_in_window as integer) as team_outreach_answered_90d,
        case
            when running_totals.outreach_in_window > 0
                then cast(running_totals.answered_in_window as {{ type_double() }})
                / cast(running_totals.outreach_in_window as {{ type_double() }})
        end as outreach_answer_rate_90d
    from account_days
    inner join running_totals
        on account_days.account_id = running_totals.account_id
        and account_days.as_of_date = running_totals.change_on
)

select * from final
