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

-- One sort of each segment, day and measure gives every account's place among the accounts with a
-- value (missing values sort last, after them): its rank for the percentile and its position for the
-- median. The median is then a plain average of the one or two middle values, not a holistic
-- percentile aggregate that holds every value of a group in memory.
placed as (
    select
        measures.*,
        rank() over (
            partition by measures.segment, measures.as_of_date, measures.measure
            order by measures.measure_value nulls last
        ) as value_rank,
        row_number() over (
            partition by measures.segment, measures.as_of_date, measures.measure
            order by measures.measure_value nulls last
        ) as value_position,
        count(measures.measure_value) over (
            partition by measures.segment, measures.as_of_date, measures.measure
        ) as accounts_with_value
    from measures
),

-- The one or two middle values of each segment, day and measure: positions (n + 1) / 2 rounded down
-- and up, among the accounts that have a value
middles as (
    select
        segment,
        as_of_date,
        measure,
        avg(measure_value) as segment_mean,
        min(case when value_position = floor((accounts_with_value + 1) / 2.0) then measure_value end)
            as lower_middle,
        max(case when value_position = ceiling((accounts_with_value + 1) / 2.0) then measure_value end)
            as upper_middle
    from placed
    where measure_value is not null
    group by 1, 2, 3
),

-- Segment statistics per day and measure; the median interpolated halfway between the middle values,
-- as percentile_cont(0.5) does
segment_stats as (
    select
        segment,
        as_of_date,
        measure,
        segment_mean,
        lower_middle + 0.5 * (upper_middle - lower_middle) as segment_median
    from middles
),

final as (
    select
        placed.account_id,
        placed.as_of_date,
        placed.segment,
        placed.measure,
        placed.measure_value,
        -- Share of the segment's other accounts with a value that have a lower one (percent_rank among
        -- them); a segment of one has nobody to compare with: it sits in the middle
        case
            when placed.measure_value is null then null
            when placed.accounts_with_value <= 1 then 0.5
            else (placed.value_rank - 1) / cast(placed.accounts_with_value - 1 as double)
        end as segment_percentile,
        segment_stats.segment_mean,
        segment_stats.segment_median,
        case
            when segment_stats.segment_mean <> 0
                then placed.measure_value / segment_stats.segment_mean
        end as ratio_to_segment_mean
    from placed
    left join segment_stats
        on placed.segment = segment_stats.segment
        and placed.as_of_date = segment_stats.as_of_date
        and placed.measure = segment_stats.measure
)

select * from final
