{{ config(**incremental_by_day()) }}

-- Every active account's health on every day of the history (see int_account_health_daily). Texts are
-- cast to the contract's type, which the table was created with (macros/portable/type_varchar.sql).
select
    cast(account_id as {{ type_varchar() }}) as account_id,
    as_of_date,
    cast(segment as {{ type_varchar() }}) as segment,
    cast(lifecycle_stage as {{ type_varchar() }}) as lifecycle_stage,
    cast(scorecard_id as {{ type_varchar() }}) as scorecard_id,
    health_score,
    cast(grade as {{ type_varchar() }}) as grade,
    cast(color as {{ type_varchar() }}) as color,
    engagement_score,
    adoption_score,
    support_score,
    relationship_score,
    value_score,
    health_score_change_7d,
    health_score_change_30d,
    cast(drivers as {{ type_varchar() }}) as drivers,
    measures_missing,
    is_capped,
    override_applied,
    cast(override_reason as {{ type_varchar() }}) as override_reason,
    computed_health_score,
    mrr,
    segment_arpu,
    mrr_to_segment_arpu,
    cast(config_version as {{ type_varchar() }}) as config_version
from {{ ref('int_account_health_daily') }}
where {{ as_of_window('as_of_date') }}
