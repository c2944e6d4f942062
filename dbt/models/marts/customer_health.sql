-- Today's health of every active account: the latest day of the history, with who owns the account.
with

latest as (
    select * from {{ ref('int_account_health_daily') }}
    where as_of_date = (select max(as_of_date) from {{ ref('int_account_health_daily') }})
),

final as (
    select
        latest.account_id,
        accounts.account_name,
        accounts.account_owner,
        latest.as_of_date,
        latest.segment,
        latest.lifecycle_stage,
        latest.scorecard_id,
        latest.health_score,
        latest.grade,
        latest.color,
        latest.engagement_score,
        latest.adoption_score,
        latest.support_score,
        latest.relationship_score,
        latest.value_score,
        latest.health_score_change_7d,
        latest.health_score_change_30d,
        latest.drivers,
        latest.measures_missing,
        latest.is_capped,
        latest.override_applied,
        latest.override_reason,
        latest.computed_health_score,
        latest.mrr,
        latest.segment_arpu,
        latest.mrr_to_segment_arpu,
        latest.config_version
    from latest
    inner join {{ ref('int_accounts') }} as accounts
        on latest.account_id = accounts.account_id
)

select * from final
