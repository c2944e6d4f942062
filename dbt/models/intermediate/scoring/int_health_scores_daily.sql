{{ config(materialized='incremental', incremental_strategy='as_of_window') }}

{%- set categories = ['engagement', 'adoption', 'support', 'relationship', 'value'] %}

-- Each active account-day's health score: the weighted points of its scorecard's measures that have
-- a value (missing ones' weight shared by the rest), capped while a cap rule holds; one score per
-- category; and the drivers, the measures that cost the most points.
with

points as (
    select * from {{ ref('int_measure_points_daily') }}
    where {{ as_of_window('as_of_date') }}
),

-- Sums are taken in decimals: exact, so the same inputs give the same score whatever order a parallel
-- scan adds them in (doubles differ in the last bit, and a score on a rounding boundary would flip).

-- Per account-day: the weight of the measures that have a value (the denominator that redistributes
-- missing weight), the weighted points, and the same per category
sums as (
    select
        account_id,
        as_of_date,
        scorecard_id,
        sum(case when points is not null then cast(weight as decimal(18, 8)) end) as present_weight,
        sum(cast(weight * points as decimal(18, 8))) as weighted_points,
        sum(case when method <> 'cap' and measure_value is null then 1 else 0 end) as measures_missing,
        min(case when is_cap_holding then cap_score end) as cap_score,
        {%- for category in categories %}
        sum(case when category = '{{ category }}' then cast(weight * points as decimal(18, 8)) end)
            / nullif(sum(case when category = '{{ category }}' and points is not null
                then cast(weight as decimal(18, 8)) end), 0) as {{ category }}_score{{ "," if not loop.last }}
        {%- endfor %}
    from points
    group by 1, 2, 3
),

scores as (
    select
        *,
        weighted_points / nullif(present_weight, 0) as weighted_score
    from sums
),

-- What each measure cost: holding caps first, then lost points weighted by their share of the score
driver_costs as (
    select
        points.account_id,
        points.as_of_date,
        case
            when points.is_cap_holding then 1000 + 100 - points.cap_score
            else points.weight * (100 - points.points) / nullif(scores.present_weight, 0)
        end as cost,
        coalesce(labels.label, points.measure) || ': '
        || {{ format_measure('points.measure_value', 'labels.unit') }}
        || case
            when points.is_cap_holding
                then ' (caps the score at ' || cast(cast(points.cap_score as bigint) as varchar) || ')'
            else ' (segment median ' || {{ format_measure('points.segment_median', 'labels.unit') }} || ')'
        end as driver
    from points
    inner join scores
        on points.account_id = scores.account_id
        and points.as_of_date = scores.as_of_date
    left join {{ ref('measure_labels') }} as labels
        on points.measure = labels.measure
    where points.is_cap_holding or points.points < 100
),

drivers as (
    select
        account_id,
        as_of_date,
        {{ dbt.listagg('driver', "'; '", 'order by cost desc, driver', 3) }} as drivers
    from driver_costs
    where cost > 0
    group by 1, 2
),

final as (
    select
        scores.account_id,
        scores.as_of_date,
        scores.scorecard_id,
        cast(
            case
                when scores.cap_score is not null and scores.cap_score < coalesce(scores.weighted_score, 100)
                    then scores.cap_score
                else scores.weighted_score
            end as decimal(5, 2)
        ) as health_score,
        cast(scores.weighted_score as decimal(5, 2)) as uncapped_score,
        scores.cap_score is not null and scores.cap_score < coalesce(scores.weighted_score, 100) as is_capped,
        {%- for category in categories %}
        cast(scores.{{ category }}_score as decimal(5, 2)) as {{ category }}_score,
        {%- endfor %}
        cast(scores.measures_missing as integer) as measures_missing,
        coalesce(drivers.drivers, 'no measure below the best in its segment') as drivers
    from scores
    left join drivers
        on scores.account_id = drivers.account_id
        and scores.as_of_date = drivers.as_of_date
)

select * from final
