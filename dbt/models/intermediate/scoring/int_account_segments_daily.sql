{{ config(**incremental_by_day()) }}

-- Each active account-day's segment, lifecycle stage and scorecard, by the analysts' seed rules:
-- the first rule (lowest priority) that matches wins, and each seed's last rule matches everything.
with

revenue as (
    select
        account_id,
        as_of_date,
        mrr,
        plan_name,
        tenure_days,
        days_to_renewal
    from {{ ref('int_account_revenue_daily') }}
    where is_active and {{ as_of_window('as_of_date') }}
),

-- Billing period length of each subscription, so a monthly plan is not always "renewing"
subscription_contracts as (
    select
        subscriptions.account_id,
        cast(subscriptions.started_at as date) as started_on,
        cast(subscriptions.ended_at as date) as ended_on,
        max(
            items.billing_interval_count * case items.billing_interval
                when 'year' then 365
                when 'month' then 30
                when 'week' then 7
                else 1
            end
        ) as contract_days
    from {{ ref('int_subscriptions') }} as subscriptions
    inner join {{ ref('stg_stripe__subscription_items') }} as items
        on subscriptions.subscription_id = items.subscription_id
    group by 1, 2, 3
),

account_days as (
    select
        revenue.account_id,
        revenue.as_of_date,
        revenue.mrr,
        revenue.plan_name,
        revenue.tenure_days,
        revenue.days_to_renewal,
        max(subscription_contracts.contract_days) as contract_days
    from revenue
    left join subscription_contracts
        on revenue.account_id = subscription_contracts.account_id
        and subscription_contracts.started_on <= revenue.as_of_date
        and (subscription_contracts.ended_on is null or subscription_contracts.ended_on > revenue.as_of_date)
    group by 1, 2, 3, 4, 5, 6
),

-- Each rule set narrows the account-day's row in turn (segment, then stage, then scorecard), carrying its
-- columns along rather than joining the best match back: PostgreSQL expects a handful of rows from a
-- `match_rank = 1` filter and would join two of them row by row.

-- Every segment rule each account-day matches, best first
segment_matches as (
    select
        account_days.*,
        segments.segment,
        row_number() over (
            partition by account_days.account_id, account_days.as_of_date
            order by segments.priority
        ) as match_rank
    from account_days
    inner join {{ ref('segments') }} as segments
        on (segments.plan_name = '*' or segments.plan_name = account_days.plan_name)
        and (segments.min_mrr is null or account_days.mrr >= segments.min_mrr)
        and (segments.max_mrr is null or account_days.mrr < segments.max_mrr)
),

segmented as (
    select
        account_id,
        as_of_date,
        mrr,
        plan_name,
        tenure_days,
        days_to_renewal,
        contract_days,
        segment
    from segment_matches
    where match_rank = 1
),

-- Every lifecycle rule each account-day matches, best first
stage_matches as (
    select
        segmented.*,
        stages.lifecycle_stage,
        row_number() over (
            partition by segmented.account_id, segmented.as_of_date
            order by stages.priority
        ) as match_rank
    from segmented
    inner join {{ ref('lifecycle_stages') }} as stages
        on (stages.max_tenure_days is null or segmented.tenure_days < stages.max_tenure_days)
        and (
            stages.max_days_to_renewal is null
            or segmented.days_to_renewal <= stages.max_days_to_renewal
        )
        and (stages.min_contract_days is null or segmented.contract_days >= stages.min_contract_days)
),

classified as (
    select
        account_id,
        as_of_date,
        mrr,
        plan_name,
        contract_days,
        segment,
        lifecycle_stage
    from stage_matches
    where match_rank = 1
),

-- Every scorecard rule each account-day matches, best first
scorecard_matches as (
    select
        classified.*,
        scorecards.scorecard_id,
        row_number() over (
            partition by classified.account_id, classified.as_of_date
            order by scorecards.priority
        ) as match_rank
    from classified
    inner join {{ ref('scorecards') }} as scorecards
        on (scorecards.segment = '*' or scorecards.segment = classified.segment)
        and (scorecards.lifecycle_stage = '*' or scorecards.lifecycle_stage = classified.lifecycle_stage)
),

final as (
    select
        account_id,
        as_of_date,
        segment,
        lifecycle_stage,
        scorecard_id,
        plan_name,
        mrr,
        contract_days
    from scorecard_matches
    where match_rank = 1
)

select * from final
