{{ config(**incremental_by_day()) }}

-- Each active account-day's published health: score (after any CSM override), grade and colour from
-- the grade scale, 7- and 30-day trend, drivers, MRR against the segment's ARPU, and the version of
-- the scoring configuration that produced it.
with

-- The window's scores and those of the 30 days before it, which the trends compare with
scores as (
    select * from {{ ref('int_health_scores_daily') }}
    where as_of_date >= {{ window_start(30) }}
        and as_of_date < {{ window_end() }}
),

segments as (
    select * from {{ ref('int_account_segments_daily') }}
    where {{ as_of_window('as_of_date') }}
),

-- Average MRR per account in each segment and day
segment_arpu as (
    select
        segment,
        as_of_date,
        {{ average_as_double('mrr') }} as segment_arpu
    from segments
    group by 1, 2
),

-- The override in force on each day; the most recently set wins
overrides as (
    select
        segments.account_id,
        segments.as_of_date,
        health_overrides.health_score,
        health_overrides.grade,
        health_overrides.reason,
        row_number() over (
            partition by segments.account_id, segments.as_of_date
            order by health_overrides.set_on desc
        ) as override_rank
    from segments
    inner join {{ ref('health_overrides') }} as health_overrides
        on segments.account_id = health_overrides.account_id
        and health_overrides.set_on <= segments.as_of_date
        and health_overrides.expires_on > segments.as_of_date
),

scored as (
    select
        segments.account_id,
        segments.as_of_date,
        segments.segment,
        segments.lifecycle_stage,
        segments.scorecard_id,
        segments.mrr,
        segment_arpu.segment_arpu,
        today.health_score as computed_health_score,
        coalesce(overrides.health_score, today.health_score) as health_score,
        overrides.grade as override_grade,
        overrides.reason as override_reason,
        overrides.account_id is not null as override_applied,
        today.is_capped,
        today.engagement_score,
        today.adoption_score,
        today.support_score,
        today.relationship_score,
        today.value_score,
        today.measures_missing,
        today.drivers,
        -- Trend of the computed score, so an override does not fake a change
        cast(today.health_score - week_ago.health_score as decimal(6, 2)) as health_score_change_7d,
        cast(today.health_score - month_ago.health_score as decimal(6, 2)) as health_score_change_30d
    from segments
    inner join scores as today
        on segments.account_id = today.account_id
        and segments.as_of_date = today.as_of_date
    inner join segment_arpu
        on segments.segment = segment_arpu.segment
        and segments.as_of_date = segment_arpu.as_of_date
    left join scores as week_ago
        on segments.account_id = week_ago.account_id
        and week_ago.as_of_date = {{ add_days(-7, 'segments.as_of_date') }}
    left join scores as month_ago
        on segments.account_id = month_ago.account_id
        and month_ago.as_of_date = {{ add_days(-30, 'segments.as_of_date') }}
    left join overrides
        on segments.account_id = overrides.account_id
        and segments.as_of_date = overrides.as_of_date
        and overrides.override_rank = 1
),

-- The grade of each score: the one with the highest minimum the score reaches
graded as (
    select
        scored.account_id,
        scored.as_of_date,
        grade_scale.grade,
        row_number() over (
            partition by scored.account_id, scored.as_of_date
            order by grade_scale.min_score desc
        ) as grade_rank
    from scored
    inner join {{ ref('grade_scale') }} as grade_scale
        on grade_scale.min_score <= scored.health_score
),

final as (
    select
        scored.account_id,
        scored.as_of_date,
        scored.segment,
        scored.lifecycle_stage,
        scored.scorecard_id,
        scored.health_score,
        coalesce(scored.override_grade, graded.grade) as grade,
        grade_scale.color,
        scored.engagement_score,
        scored.adoption_score,
        scored.support_score,
        scored.relationship_score,
        scored.value_score,
        scored.health_score_change_7d,
        scored.health_score_change_30d,
        scored.drivers,
        scored.measures_missing,
        scored.is_capped,
        scored.override_applied,
        scored.override_reason,
        scored.computed_health_score,
        cast(scored.mrr as decimal(18, 2)) as mrr,
        cast(scored.segment_arpu as decimal(18, 2)) as segment_arpu,
        cast(scored.mrr / nullif(scored.segment_arpu, 0) as decimal(10, 4)) as mrr_to_segment_arpu,
        config.config_version
    from scored
    left join graded
        on scored.account_id = graded.account_id
        and scored.as_of_date = graded.as_of_date
        and graded.grade_rank = 1
    left join {{ ref('grade_scale') }} as grade_scale
        on coalesce(scored.override_grade, graded.grade) = grade_scale.grade
    cross join {{ ref('int_scoring_config_version') }} as config
)

select * from final
