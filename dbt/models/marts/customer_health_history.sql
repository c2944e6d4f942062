{{ config(materialized='incremental', incremental_strategy='as_of_window') }}

-- Every active account's health on every day of the history (see int_account_health_daily).
select
    account_id,
    as_of_date,
    segment,
    lifecycle_stage,
    scorecard_id,
    health_score,
    grade,
    color,
    engagement_score,
    adoption_score,
    support_score,
    relationship_score,
    value_score,
    health_score_change_7d,
    health_score_change_30d,
    drivers,
    measures_missing,
    is_capped,
    override_applied,
    override_reason,
    computed_health_score,
    mrr,
    segment_arpu,
    mrr_to_segment_arpu,
    config_version
from {{ ref('int_account_health_daily') }}
where {{ as_of_window('as_of_date') }}
