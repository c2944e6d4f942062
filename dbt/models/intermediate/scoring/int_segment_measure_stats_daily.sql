{{ config(**incremental_by_day()) }}

-- What the typical account of each segment has on each day: each measure's mean and median over the
-- segment's accounts with a value.
with

measures as (
    select * from {{ ref('int_account_measures_daily') }}
    where {{ as_of_window('as_of_date') }}
),

final as (
    select
        segment,
        as_of_date,
        {%- for measure in scoring_measures() %}
        avg({{ measure }}) as {{ measure }}_mean,
        percentile_cont(0.5) within group (order by {{ measure }}) as {{ measure }}_median{{ "," if not loop.last }}
        {%- endfor %}
    from measures
    group by segment, as_of_date
)

select * from final
