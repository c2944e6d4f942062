{{ config(materialized='incremental', incremental_strategy='as_of_window') }}

-- Each measure of each account-day's scorecard turned into points (0-100) by its method, and
-- whether a cap rule holds.
with

account_scorecards as (
    select
        account_id,
        as_of_date,
        scorecard_id
    from {{ ref('int_account_segments_daily') }}
    where {{ as_of_window('as_of_date') }}
),

relative_measures as (
    select * from {{ ref('int_segment_relative_measures_daily') }}
    where {{ as_of_window('as_of_date') }}
),

-- The scorecard's measures for each account-day, with the account's value where it has one
scorecard_values as (
    select
        account_scorecards.account_id,
        account_scorecards.as_of_date,
        account_scorecards.scorecard_id,
        scorecard_measures.measure,
        scorecard_measures.category,
        scorecard_measures.weight,
        scorecard_measures.direction,
        scorecard_measures.method,
        scorecard_measures.band_average,
        scorecard_measures.band_good,
        scorecard_measures.cap_threshold,
        scorecard_measures.cap_score,
        relative_measures.measure_value,
        relative_measures.segment_percentile,
        relative_measures.segment_median,
        relative_measures.segment_mean
    from account_scorecards
    inner join {{ ref('scorecard_measures') }} as scorecard_measures
        on account_scorecards.scorecard_id = scorecard_measures.scorecard_id
    left join relative_measures
        on account_scorecards.account_id = relative_measures.account_id
        and account_scorecards.as_of_date = relative_measures.as_of_date
        and scorecard_measures.measure = relative_measures.measure
),

points as (
    select
        *,
        case
            when measure_value is null or method = 'cap' then null
            when method = 'percentile' and direction = 'higher_is_better' then 100 * segment_percentile
            when method = 'percentile' then 100 * (1 - segment_percentile)
            when direction = 'higher_is_better' then
                case
                    when measure_value >= band_good then {{ var('band_points_good') }}
                    when measure_value >= band_average then {{ var('band_points_average') }}
                    else {{ var('band_points_poor') }}
                end
            else
                case
                    when measure_value <= band_good then {{ var('band_points_good') }}
                    when measure_value <= band_average then {{ var('band_points_average') }}
                    else {{ var('band_points_poor') }}
                end
        end as points,
        coalesce(
            method = 'cap'
            and (
                (direction = 'higher_is_worse' and measure_value >= cap_threshold)
                or (direction = 'higher_is_better' and measure_value <= cap_threshold)
            ),
            false
        ) as is_cap_holding
    from scorecard_values
)

select * from points
