-- Every past monthly snapshot whose outcome is known, with what the score and the model said on the
-- day: health score, grade and colour; the churn likelihood where the snapshot fell in the churn model's
-- validation window (the model had not seen it); whether a renewal date fell within the horizon; and
-- whether the account churned within it.
with

snapshots as (
    select
        account_id,
        as_of_date,
        segment,
        health_score,
        days_to_renewal,
        horizon_days,
        churned_within_horizon
    from {{ ref('int_churn_snapshots') }}
),

health as (
    select
        account_id,
        as_of_date,
        grade,
        color
    from {{ ref('int_account_health_daily') }}
),

backtest as (
    select
        account_id,
        as_of_date,
        churn_likelihood
    from {{ source('churn_model', 'churn_backtest') }}
),

final as (
    select
        snapshots.account_id,
        snapshots.as_of_date,
        snapshots.segment,
        snapshots.health_score,
        health.grade,
        health.color,
        backtest.churn_likelihood,
        case
            when snapshots.days_to_renewal >= 0 and snapshots.days_to_renewal <= snapshots.horizon_days then 1
            else 0
        end as renews_within_horizon,
        snapshots.churned_within_horizon
    from snapshots
    inner join health
        on snapshots.account_id = health.account_id
        and snapshots.as_of_date = health.as_of_date
    left join backtest
        on snapshots.account_id = backtest.account_id
        and snapshots.as_of_date = backtest.as_of_date
)

select * from final
