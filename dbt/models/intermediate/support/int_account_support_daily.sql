{{ config(**incremental_by_day()) }}

{#- As of date D counts everything up to the end of D; the trailing window is D-(N-1) .. D.
    Counts and sums over the window use a difference array (a ticket adds on the day it enters the
    window or opens, subtracts on the day it leaves or closes; one running sum per account gives
    every date). Only the median needs ticket-level rows: each closed ticket is repeated on the N
    as-of dates whose window holds it, an equi-join rather than a range join. -#}
{%- set window_days = var('support_window_days') | int -%}

-- Support per account-day: priority-weighted ticket volume, open urgent and high tickets, the age
-- of the oldest open urgent ticket, time to close, CSAT, and the latest NPS answer.
with

-- The as-of dates this run builds
account_days as (
    select
        account_id,
        as_of_date
    from {{ ref('int_account_days') }}
    where {{ as_of_window('as_of_date') }}
),

-- The analysts' weight of each ticket priority
priority_weights as (
    select
        lower(priority) as priority,
        cast(weight as decimal(18, 4)) as weight
    from {{ ref('ticket_priority_weights') }}
),

-- Tickets that can still count in this run: those closed before the window's reach cancel out
tickets as (
    select
        tickets.ticket_id,
        tickets.account_id,
        tickets.priority,
        tickets.rating,
        -- a priority missing from the seed counts like the lowest weight, 1
        coalesce(priority_weights.weight, cast(1 as decimal(18, 4))) as priority_weight,
        tickets.created_at,
        tickets.closed_at,
        cast(tickets.created_at as date) as created_on,
        -- closed on its creation day at the earliest, so it never closes before it opens
        case
            when tickets.closed_at < tickets.created_at then cast(tickets.created_at as date)
            else cast(tickets.closed_at as date)
        end as closed_on,
        -- a rating is dated when the ticket was resolved, else when it last changed
        cast(coalesce(tickets.closed_at, tickets.updated_at, tickets.created_at) as date) as rated_on
    from {{ ref('stg_intercom__tickets') }} as tickets
    left join priority_weights
        on tickets.priority = priority_weights.priority
    where
        tickets.account_id is not null
        and cast(tickets.created_at as date) < {{ window_end() }}
        and (
            cast(tickets.created_at as date) >= {{ window_start(window_days) }}
            or tickets.closed_at is null
            or cast(tickets.closed_at as date) >= {{ window_start(window_days) }}
        )
),

-- CSAT answers: ticket ratings and CSAT survey responses, 1-5
csat_answers as (
    select
        account_id,
        rated_on as answered_on,
        rating as score
    from tickets
    where rating is not null

    union all

    select
        account_id,
        cast(responded_at as date) as answered_on,
        score
    from {{ ref('stg_intercom__survey_responses') }}
    where
        survey_type = 'csat'
        and account_id is not null
        and cast(responded_at as date) >= {{ window_start(window_days) }}
),

-- NPS answers, the last one of each account-day
nps_ranked as (
    select
        account_id,
        cast(responded_at as date) as responded_on,
        score,
        row_number() over (
            partition by account_id, cast(responded_at as date)
            order by responded_at desc, response_id desc
        ) as rank_in_day
    from {{ ref('stg_intercom__survey_responses') }}
    where
        survey_type = 'nps'
        and account_id is not null
        and cast(responded_at as date) < {{ window_end() }}
),

-- One NPS answer per account and day
nps_days as (
    select
        account_id,
        responded_on,
        score
    from nps_ranked
    where rank_in_day = 1
),

-- Every change of a running total, dated the day it takes effect; NPS days carry their date
changes as (
    -- a ticket enters the window the day it is raised ...
    select
        account_id,
        created_on as change_on,
        1 as tickets_change,
        priority_weight as weighted_change,
        case when priority = 'urgent' then 1 else 0 end as open_urgent_change,
        case when priority = 'high' then 1 else 0 end as open_high_change,
        0 as csat_sum_change,
        0 as csat_count_change,
        cast(null as date) as nps_on
    from tickets

    union all

    -- ... and leaves it N days later
    select
        account_id,
        {{ add_days(window_days, 'created_on') }} as change_on,
        -1 as tickets_change,
        -priority_weight as weighted_change,
        0 as open_urgent_change,
        0 as open_high_change,
        0 as csat_sum_change,
        0 as csat_count_change,
        cast(null as date) as nps_on
    from tickets

    union all

    -- an open ticket stops being open the day it is closed
    select
        account_id,
        closed_on as change_on,
        0 as tickets_change,
        cast(0 as decimal(18, 4)) as weighted_change,
        case when priority = 'urgent' then -1 else 0 end as open_urgent_change,
        case when priority = 'high' then -1 else 0 end as open_high_change,
        0 as csat_sum_change,
        0 as csat_count_change,
        cast(null as date) as nps_on
    from tickets
    where closed_on is not null

    union all

    -- a CSAT answer counts from its day for N days
    select
        account_id,
        answered_on as change_on,
        0 as tickets_change,
        cast(0 as decimal(18, 4)) as weighted_change,
        0 as open_urgent_change,
        0 as open_high_change,
        score as csat_sum_change,
        1 as csat_count_change,
        cast(null as date) as nps_on
    from csat_answers

    union all

    select
        account_id,
        {{ add_days(window_days, 'answered_on') }} as change_on,
        0 as tickets_change,
        cast(0 as decimal(18, 4)) as weighted_change,
        0 as open_urgent_change,
        0 as open_high_change,
        -score as csat_sum_change,
        -1 as csat_count_change,
        cast(null as date) as nps_on
    from csat_answers

    union all

    select
        account_id,
        responded_on as change_on,
        0 as tickets_change,
        cast(0 as decimal(18, 4)) as weighted_change,
        0 as open_urgent_change,
        0 as open_high_change,
        0 as csat_sum_change,
        0 as csat_count_change,
        responded_on as nps_on
    from nps_days
),

-- Every change, plus a zero change on each as-of date so that every date gets a running total
timeline as (
    select
        account_id,
        as_of_date as change_on,
        0 as tickets_change,
        cast(0 as decimal(18, 4)) as weighted_change,
        0 as open_urgent_change,
        0 as open_high_change,
        0 as csat_sum_change,
        0 as csat_count_change,
        cast(null as date) as nps_on
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
        sum(tickets_change) as tickets_change,
        sum(weighted_change) as weighted_change,
        sum(open_urgent_change) as open_urgent_change,
        sum(open_high_change) as open_high_change,
        sum(csat_sum_change) as csat_sum_change,
        sum(csat_count_change) as csat_count_change,
        max(nps_on) as nps_on
    from timeline
    group by 1, 2
),

-- Running totals: the window's content, the open tickets and the latest NPS day on each day
running_totals as (
    select
        account_id,
        change_on,
        sum(tickets_change) over account_history as tickets_in_window,
        sum(weighted_change) over account_history as weighted_in_window,
        sum(open_urgent_change) over account_history as open_urgent,
        sum(open_high_change) over account_history as open_high,
        sum(csat_sum_change) over account_history as csat_sum,
        sum(csat_count_change) over account_history as csat_count,
        max(nps_on) over account_history as latest_nps_on
    from daily_changes
    window account_history as (
        partition by account_id
        order by change_on
        rows between unbounded preceding and current row
    )
),

-- 0 .. 999: day offsets into a trailing window, without a warehouse-specific series function
digits as (
    select 0 as digit union all select 1 union all select 2 union all select 3 union all select 4
    union all select 5 union all select 6 union all select 7 union all select 8 union all select 9
),

-- 0 .. N-1
window_offsets as (
    select ones.digit + 10 * tens.digit + 100 * hundreds.digit as day_offset
    from digits as ones
    cross join digits as tens
    cross join digits as hundreds
    where ones.digit + 10 * tens.digit + 100 * hundreds.digit < {{ window_days }}
),

-- Each closed ticket on each as-of date whose trailing window holds its closing day
closed_in_window as (
    select
        tickets.account_id,
        {{ add_days('window_offsets.day_offset', 'tickets.closed_on') }} as as_of_date,
        cast({{ seconds_between('tickets.created_at', 'tickets.closed_at') }} as {{ type_double() }}) / 3600 as hours_to_close
    from tickets
    cross join window_offsets
    where tickets.closed_on is not null
),

-- The closed tickets of each as-of date in order of their time to close, and how many there are
closed_in_order as (
    select
        closed_in_window.account_id,
        closed_in_window.as_of_date,
        closed_in_window.hours_to_close,
        row_number() over same_day as place,
        count(*) over (
            partition by closed_in_window.account_id, closed_in_window.as_of_date
        ) as closed_tickets
    from closed_in_window
    inner join account_days
        on closed_in_window.account_id = account_days.account_id
        and closed_in_window.as_of_date = account_days.as_of_date
    where closed_in_window.hours_to_close is not null
    window same_day as (
        partition by closed_in_window.account_id, closed_in_window.as_of_date
        order by closed_in_window.hours_to_close
    )
),

-- Median time to close on each as-of date: the middle ticket, or the mean of the middle two (what
-- percentile_cont(0.5) gives). Placed by a window rather than percentile_cont per account-day: DuckDB's
-- percentile_cont over millions of small groups took 170 s instead of 10 once the same connection had
-- built other models (medium's whole history, docs/benchmarks.md).
close_times as (
    select
        account_id,
        as_of_date,
        avg(hours_to_close) as median_hours_to_close
    from closed_in_order
    where 2 * place in (closed_tickets, closed_tickets + 1, closed_tickets + 2)
    group by 1, 2
),

-- The oldest urgent ticket still open at the end of each as-of date (urgent tickets are few)
oldest_open_urgent as (
    select
        account_days.account_id,
        account_days.as_of_date,
        min(tickets.created_on) as oldest_created_on
    from account_days
    inner join tickets
        on account_days.account_id = tickets.account_id
        and tickets.created_on <= account_days.as_of_date
        and (tickets.closed_on is null or tickets.closed_on > account_days.as_of_date)
    where tickets.priority = 'urgent'
    group by 1, 2
),

-- Every measure on every as-of date
final as (
    select
        account_days.account_id,
        account_days.as_of_date,
        cast(running_totals.tickets_in_window as integer) as tickets_90d,
        cast(running_totals.weighted_in_window as decimal(18, 4)) as weighted_tickets_90d,
        cast(running_totals.open_urgent as integer) as open_urgent_tickets,
        cast(running_totals.open_high as integer) as open_high_tickets,
        {{ days_between('oldest_open_urgent.oldest_created_on', 'account_days.as_of_date') }}
            as oldest_open_urgent_ticket_days,
        close_times.median_hours_to_close as median_hours_to_close_90d,
        case
            when running_totals.csat_count > 0
                then cast(running_totals.csat_sum as {{ type_double() }})
                / cast(running_totals.csat_count as {{ type_double() }})
        end as csat_average_90d,
        cast(running_totals.csat_count as integer) as csat_responses_90d,
        nps_days.score as nps_latest,
        case
            when nps_days.score >= 9 then 'promoter'
            when nps_days.score >= 7 then 'passive'
            when nps_days.score >= 0 then 'detractor'
        end as nps_class
    from account_days
    inner join running_totals
        on account_days.account_id = running_totals.account_id
        and account_days.as_of_date = running_totals.change_on
    left join close_times
        on account_days.account_id = close_times.account_id
        and account_days.as_of_date = close_times.as_of_date
    left join oldest_open_urgent
        on account_days.account_id = oldest_open_urgent.account_id
        and account_days.as_of_date = oldest_open_urgent.as_of_date
    left join nps_days
        on account_days.account_id = nps_days.account_id
        and running_totals.latest_nps_on = nps_days.responded_on
)

select * from final
