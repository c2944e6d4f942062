{{ config(materialized='incremental', incremental_strategy='as_of_window') }}

-- Each account's measures relative to comparable accounts: its percentile within its segment on the
-- day, the segment's mean and median, and the ratio to the segment mean.
with

measures as (
    select
        measures.account_id,
        measures.as_of_date,
        segments.segment,
        measures.measure,
        measures.measure_value
    from {{ ref('int_account_measures_daily') }} as measures
    inner join {{ ref('int_account_segments_daily') }} as segments
        on measures.account_id = segments.account_id
        and measures.as_of_date = segments.as_of_date
    where {{ as_of_window('measures.as_of_date') }}
),

-- Segment statistics per day and measure, over the accounts that have a value
segment_stats as (
    select
        segment,
        as_of_date,
        measure,
        count(measure_value) as accounts_with_value,
        avg(measure_value) as segment_mean,
        percentile_cont(0.5) within group (order by measure_value) as segment_median
    from measures
    where measure_value is not null
    group by 1, 2, 3
),

-- Percentile within the segment: share of the segment's other accounts (with a value) below it
ranked as (
    select
        measures.*,
        percent_rank() over (
            partition by
                measures.segment, measures.as_of_date, measures.measure, measures.measure_value is null
            order by measures.measure_value
        ) as raw_percentile
    from measures
),

final as (
    select
        ranked.account_id,
        ranked.as_of_date,
        ranked.segment,
        ranked.measure,
        ranked.measure_value,
        -- A segment of one has nobody to compare with: it sits in the middle
        case
            when ranked.measure_value is null then null
            when segment_stats.accounts_with_value <= 1 then 0.5
            else ranked.raw_percentile
        end as segment_percentile,
        segment_stats.segment_mean,
        segment_stats.segment_median,
        case
            when segment_stats.segment_mean <> 0
                then ranked.measure_value / segment_stats.segment_mean
        end as ratio_to_segment_mean
    from ranked
    left join segment_stats
        on ranked.segment = segment_stats.segment
        and ranked.as_of_date = segment_stats.as_of_date
        and ranked.measure = segment_stats.measure
)

select * from final
