{{ config(**incremental_by_day()) }}

{%- set measures = ['weighted_events_30d', 'active_contacts_30d', 'engagement_trend', 'feature_breadth',
                    'seat_depth', 'weighted_tickets_90d', 'csat_average_90d', 'nps_latest',
                    'days_since_two_way_conversation', 'outreach_answer_rate_90d', 'failed_invoices_90d'] %}
{%- set grades = ['A', 'B', 'C', 'D', 'F'] %}

-- What a typical account of each segment looks like on each day: accounts, ARPU, the mean and median
-- of each scored measure, and how many accounts have each grade.
with

health as (
    select * from {{ ref('int_account_health_daily') }}
    where {{ as_of_window('as_of_date') }}
),

-- The segment statistics of each scored measure, one column pair per measure
measure_stats as (
    select
        segment,
        as_of_date,
        {%- for measure in measures %}
        cast({{ measure }}_mean as {{ type_double() }}) as {{ measure }}_mean,
        cast({{ measure }}_median as {{ type_double() }}) as {{ measure }}_median{{ "," if not loop.last }}
        {%- endfor %}
    from {{ ref('int_segment_measure_stats_daily') }}
    where {{ as_of_window('as_of_date') }}
),

segment_days as (
    select
        -- the contract's text type, which the incremental table was created with (macros/portable)
        cast(segment as {{ type_varchar() }}) as segment,
        as_of_date,
        count(*) as accounts,
        cast({{ average_as_double('mrr') }} as decimal(18, 2)) as arpu,
        cast({{ average_as_double('health_score') }} as decimal(5, 2)) as average_health_score,
        {%- for grade in grades %}
        cast(sum(case when grade = '{{ grade }}' then 1 else 0 end) as integer) as grade_{{ grade | lower }}_accounts{{ "," if not loop.last }}
        {%- endfor %}
    from health
    group by 1, 2
),

final as (
    select
        segment_days.*,
        {%- for measure in measures %}
        measure_stats.{{ measure }}_mean,
        measure_stats.{{ measure }}_median{{ "," if not loop.last }}
        {%- endfor %}
    from segment_days
    inner join measure_stats
        on segment_days.segment = measure_stats.segment
        and segment_days.as_of_date = measure_stats.as_of_date
)

select * from final
