{{ config(**incremental_by_day()) }}

{%- set measures = scoring_measures() %}

-- Each account-day's measures turned into points (0-100) by its scorecard's method for each, and whether
-- each cap rule holds: one row per account-day; a measure its scorecard does not use gets no points.
with

relative_measures as (
    select * from {{ ref('int_segment_relative_measures_daily') }}
    where {{ as_of_window('as_of_date') }}
),

scorecards as (
    {{ scorecard_settings_by_measure(ref('scorecard_measures')) }}
),

points as (
    select
        relative_measures.account_id,
        relative_measures.as_of_date,
        relative_measures.segment,
        relative_measures.scorecard_id,
        {%- for measure in measures %}
        {%- set value = 'relative_measures.' ~ measure %}
        {%- set direction = 'scorecards.' ~ measure ~ '_direction' %}
        {%- set method = 'scorecards.' ~ measure ~ '_method' %}
        {%- set band_good = 'scorecards.' ~ measure ~ '_band_good' %}
        {%- set band_average = 'scorecards.' ~ measure ~ '_band_average' %}
        {{ value }},
        case
            when {{ value }} is null or {{ method }} is null or {{ method }} = 'cap' then null
            when {{ method }} = 'percentile' and {{ direction }} = 'higher_is_better'
                then 100 * relative_measures.{{ measure }}_percentile
            when {{ method }} = 'percentile' then 100 * (1 - relative_measures.{{ measure }}_percentile)
            when {{ direction }} = 'higher_is_better' then
                case
                    when {{ value }} >= {{ band_good }} then {{ var('band_points_good') }}
                    when {{ value }} >= {{ band_average }} then {{ var('band_points_average') }}
                    else {{ var('band_points_poor') }}
                end
            else
                case
                    when {{ value }} <= {{ band_good }} then {{ var('band_points_good') }}
                    when {{ value }} <= {{ band_average }} then {{ var('band_points_average') }}
                    else {{ var('band_points_poor') }}
                end
        end as {{ measure }}_points,
        coalesce(
            {{ method }} = 'cap'
            and (
                ({{ direction }} = 'higher_is_worse' and {{ value }} >= scorecards.{{ measure }}_cap_threshold)
                or ({{ direction }} = 'higher_is_better' and {{ value }} <= scorecards.{{ measure }}_cap_threshold)
            ),
            false
        ) as {{ measure }}_is_cap_holding{{ "," if not loop.last }}
        {%- endfor %}
    from relative_measures
    inner join scorecards
        on relative_measures.scorecard_id = scorecards.scorecard_id
)

select * from points
