-- Each scorecard measure's points on each labelled churn snapshot, one row per measure, with its
-- scorecard settings, the CSM override of the day and the outcome: what the recalibration fits weights
-- on (a few snapshots a month, so the long shape costs little here).
with

snapshots as (
    select
        account_id,
        as_of_date,
        churned_within_horizon,
        label_known_on
    from {{ ref('int_churn_snapshots') }}
),

snapshot_points as (
    select points.*
    from {{ ref('int_measure_points_daily') }} as points
    inner join snapshots
        on points.account_id = snapshots.account_id
        and points.as_of_date = snapshots.as_of_date
),

measure_points as (
    {%- for measure in scoring_measures() %}
    select
        account_id,
        as_of_date,
        scorecard_id,
        '{{ measure }}' as measure,
        {{ measure }} as measure_value,
        {{ measure }}_points as points,
        {{ measure }}_is_cap_holding as is_cap_holding
    from snapshot_points
    {{ "union all" if not loop.last }}
    {%- endfor %}
),

final as (
    select
        measure_points.scorecard_id,
        measure_points.account_id,
        measure_points.as_of_date,
        measure_points.measure,
        scorecard_measures.category,
        scorecard_measures.weight,
        scorecard_measures.method,
        measure_points.measure_value,
        measure_points.points,
        measure_points.is_cap_holding,
        scorecard_measures.cap_score,
        case when health.override_applied then health.health_score end as override_score,
        snapshots.churned_within_horizon as churned,
        snapshots.label_known_on
    from measure_points
    inner join {{ ref('scorecard_measures') }} as scorecard_measures
        on measure_points.scorecard_id = scorecard_measures.scorecard_id
        and measure_points.measure = scorecard_measures.measure
    inner join snapshots
        on measure_points.account_id = snapshots.account_id
        and measure_points.as_of_date = snapshots.as_of_date
    inner join {{ ref('int_account_health_daily') }} as health
        on measure_points.account_id = health.account_id
        and measure_points.as_of_date = health.as_of_date
)

select * from final
