{{ config(**incremental_by_day()) }}

{%- set measures = scoring_measures() %}
{%- set categories = ['engagement', 'adoption', 'support', 'relationship', 'value'] %}

-- Each active account-day's health score: the weighted points of its scorecard's measures that have
-- a value (missing ones' weight shared by the rest), capped while a cap rule holds; one score per
-- category; and the drivers, the measures that cost the most points.
with

points as (
    select * from {{ ref('int_measure_points_daily') }}
    where {{ as_of_window('as_of_date') }}
),

scorecards as (
    {{ scorecard_settings_by_measure(ref('scorecard_measures')) }}
),

segment_stats as (
    select * from {{ ref('int_segment_measure_stats_daily') }}
    where {{ as_of_window('as_of_date') }}
),

-- Sums are taken in decimals: exact, so the same inputs give the same score whatever order they are
-- added in (doubles differ in the last bit, and a score on a rounding boundary would flip). The exact
-- sums are divided in double, as DuckDB divides decimals, so that every engine rounds the same quotient
-- (PostgreSQL would keep numeric digits, Spark round to a scale of its choosing).

-- Per account-day: the weight of the measures that have a value (the denominator that redistributes
-- missing weight), the weighted points, and the same per category
sums as {{ materialized_cte() }} (
    select
        points.*,
        {%- for measure in measures %}
        scorecards.{{ measure }}_weight,
        scorecards.{{ measure }}_cap_score,
        segment_stats.{{ measure }}_median,
        {%- endfor %}
        {%- for measure in measures %}
        {{ "+ " if not loop.first }}{{ present_weight(measure) }}
        {%- endfor %} as present_weight,
        {%- for measure in measures %}
        {{ "+ " if not loop.first }}{{ weighted_points(measure) }}
        {%- endfor %} as weighted_points,
        {%- for measure in measures %}
        {{ "+ " if not loop.first }}case
            when scorecards.{{ measure }}_method <> 'cap' and points.{{ measure }} is null then 1
            else 0
        end
        {%- endfor %} as measures_missing,
        least(
            {%- for measure in measures %}
            case when points.{{ measure }}_is_cap_holding then scorecards.{{ measure }}_cap_score end
            {{- "," if not loop.last }}
            {%- endfor %}
        ) as cap_score,
        {%- for category in categories %}
        cast(
            {%- for measure in measures %}
            {{ "+ " if not loop.first }}case
                when scorecards.{{ measure }}_category = '{{ category }}' then {{ weighted_points(measure) }}
                else 0
            end
            {%- endfor %}
            as {{ type_double() }}
        ) / nullif(cast(
            {%- for measure in measures %}
            {{ "+ " if not loop.first }}case
                when scorecards.{{ measure }}_category = '{{ category }}' then {{ present_weight(measure) }}
                else 0
            end
            {%- endfor %}
            as {{ type_double() }}), 0
        ) as {{ category }}_score{{ "," if not loop.last }}
        {%- endfor %}
    from points
    inner join scorecards
        on points.scorecard_id = scorecards.scorecard_id
    left join segment_stats
        on points.segment = segment_stats.segment
        and points.as_of_date = segment_stats.as_of_date
),

scores as {{ materialized_cte() }} (
    select
        *,
        cast(weighted_points as {{ type_double() }}) / nullif(cast(present_weight as {{ type_double() }}), 0)
            as weighted_score
    from sums
),

-- Each measure's label and unit, and the place of its label in the order drivers of equal cost are
-- listed in: the order of "label: ", as the driver texts themselves would sort (labels are unique)
labels as (
    select
        {%- for measure in measures %}
        max(case when measure = '{{ measure }}' then label end) as {{ measure }}_label,
        max(case when measure = '{{ measure }}' then unit end) as {{ measure }}_unit,
        max(case when measure = '{{ measure }}' then label_order end) as {{ measure }}_label_order
        {{- "," if not loop.last }}
        {%- endfor %}
    from (
        select
            measures.measure,
            measure_labels.label,
            measure_labels.unit,
            row_number() over (order by coalesce(measure_labels.label, measures.measure) || ': ') as label_order
        from (
            {%- for measure in measures %}
            select '{{ measure }}' as measure {{ "union all" if not loop.last }}
            {%- endfor %}
        ) as measures
        left join {{ ref('measure_labels') }} as measure_labels
            on measures.measure = measure_labels.measure
    ) as ordered_labels
),

-- What each measure cost: the cap that sets the score first, then the points it lost weighted by its share of the score
costs as {{ materialized_cte() }} (
    select
        scores.*,
        {%- for measure in measures %}
        case
            when {{ cap_binds(measure) }} then 1000 + 100 - {{ measure }}_cap_score
            when {{ measure }}_points < 100
                then {{ measure }}_weight * (100 - {{ measure }}_points) / nullif(present_weight, 0)
        end as {{ measure }}_cost{{ "," if not loop.last }}
        {%- endfor %}
    from scores
),

-- Each measure that cost points, placed among its account-day's: how many cost more (or as much, with
-- a label listed earlier). Counted within the row, so that no row per measure is needed to sort them.
placed as {{ materialized_cte() }} (
    select
        costs.*,
        labels.*,
        {%- for measure in measures %}
        case
            when {{ measure }}_cost > 0 then
                {%- for other in measures if other != measure %}
                {{ "+ " if not loop.first }}case when {{ driver_costs_more(other, measure) }} then 1 else 0 end
                {%- endfor %}
        end as {{ measure }}_place{{ "," if not loop.last }}
        {%- endfor %}
    from costs
    cross join labels
),

-- The three measures that cost the most, in words and in that order
described as (
    select
        *,
        {{ driver_at(measures, 0) }}
        || coalesce('; ' || {{ driver_at(measures, 1) }}, '')
        || coalesce('; ' || {{ driver_at(measures, 2) }}, '') as drivers
    from placed
),

final as (
    select
        described.account_id,
        described.as_of_date,
        described.scorecard_id,
        cast(
            case
                when described.cap_score is not null and described.cap_score < coalesce(described.weighted_score, 100)
                    then described.cap_score
                else described.weighted_score
            end as decimal(5, 2)
        ) as health_score,
        cast(described.weighted_score as decimal(5, 2)) as uncapped_score,
        described.cap_score is not null and described.cap_score < coalesce(described.weighted_score, 100) as is_capped,
        {%- for category in categories %}
        cast(described.{{ category }}_score as decimal(5, 2)) as {{ category }}_score,
        {%- endfor %}
        cast(described.measures_missing as integer) as measures_missing,
        coalesce(described.drivers, 'no measure below the best in its segment') as drivers
    from described
)

select * from final
