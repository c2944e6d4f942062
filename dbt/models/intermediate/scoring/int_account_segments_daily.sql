{{ config(**incremental_by_day()) }}

-- Each active account-day's segment, lifecycle stage and scorecard, by the analysts' seed rules:
-- the first rule (lowest priority) that matches wins, and each seed's last rule matches everything.
-- An account-day that no rule matches (a seed without its catch-all) keeps the day with a null, which
-- the model's not_null test reports.
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

-- Each rule set is matched once per distinct combination of the values it reads (medium's book: 746
-- plans and prices, 30,000 tenures and renewal dates), not per account-day: ranking every account-day's
-- matches grouped millions of rows three times. The winners are then joined back on those values.

-- The segment of each plan and MRR: the first rule (lowest priority) that matches
plan_prices as (
    select distinct
        plan_name,
        mrr
    from account_days
),

segment_matches as (
    select
        plan_prices.plan_name,
        plan_prices.mrr,
        segments.segment,
        row_number() over (
            partition by plan_prices.plan_name, plan_prices.mrr
            order by segments.priority
        ) as match_rank
    from plan_prices
    inner join {{ ref('segments') }} as segments
        on (segments.plan_name = '*' or segments.plan_name = plan_prices.plan_name)
        and (segments.min_mrr is null or plan_prices.mrr >= segments.min_mrr)
        and (segments.max_mrr is null or plan_prices.mrr < segments.max_mrr)
),

price_segments as (
    select
        plan_name,
        mrr,
        segment
    from segment_matches
    where match_rank = 1
),

-- The lifecycle stage of each tenure, time to renewal and contract length
contract_terms as (
    select distinct
        tenure_days,
        days_to_renewal,
        contract_days
    from account_days
),

stage_matches as (
    select
        contract_terms.tenure_days,
        contract_terms.days_to_renewal,
        contract_terms.contract_days,
        stages.lifecycle_stage,
        row_number() over (
            partition by contract_terms.tenure_days, contract_terms.days_to_renewal, contract_terms.contract_days
            order by stages.priority
        ) as match_rank
    from contract_terms
    inner join {{ ref('lifecycle_stages') }} as stages
        on (stages.max_tenure_days is null or contract_terms.tenure_days < stages.max_tenure_days)
        and (
            stages.max_days_to_renewal is null
            or contract_terms.days_to_renewal <= stages.max_days_to_renewal
        )
        and (stages.min_contract_days is null or contract_terms.contract_days >= stages.min_contract_days)
),

contract_stages as (
    select
        tenure_days,
        days_to_renewal,
        contract_days,
        lifecycle_stage
    from stage_matches
    where match_rank = 1
),

-- The scorecard of each segment and stage (both seeds require their names)
segment_stages as (
    select
        segments.segment,
        stages.lifecycle_stage
    from (select distinct segment from {{ ref('segments') }}) as segments
    cross join (select distinct lifecycle_stage from {{ ref('lifecycle_stages') }}) as stages
),

scorecard_matches as (
    select
        segment_stages.segment,
        segment_stages.lifecycle_stage,
        scorecards.scorecard_id,
        row_number() over (
            partition by segment_stages.segment, segment_stages.lifecycle_stage
            order by scorecards.priority
        ) as match_rank
    from segment_stages
    inner join {{ ref('scorecards') }} as scorecards
        on (scorecards.segment = '*' or scorecards.segment = segment_stages.segment)
        and (scorecards.lifecycle_stage = '*' or scorecards.lifecycle_stage = segment_stages.lifecycle_stage)
),

segment_stage_scorecards as (
    select
        segment,
        lifecycle_stage,
        scorecard_id
    from scorecard_matches
    where match_rank = 1
),

final as (
    select
        account_days.account_id,
        account_days.as_of_date,
        price_segments.segment,
        contract_stages.lifecycle_stage,
        segment_stage_scorecards.scorecard_id,
        account_days.plan_name,
        account_days.mrr,
        account_days.contract_days
    from account_days
    left join price_segments
        on {{ equal_or_both_null('account_days.plan_name', 'price_segments.plan_name', "''") }}
        and {{ equal_or_both_null('account_days.mrr', 'price_segments.mrr', '0') }}
    left join contract_stages
        on {{ equal_or_both_null('account_days.tenure_days', 'contract_stages.tenure_days', '0') }}
        and {{ equal_or_both_null('account_days.days_to_renewal', 'contract_stages.days_to_renewal', '0') }}
        and {{ equal_or_both_null('account_days.contract_days', 'contract_stages.contract_days', '0') }}
    left join segment_stage_scorecards
        on price_segments.segment = segment_stage_scorecards.segment
        and contract_stages.lifecycle_stage = segment_stage_scorecards.lifecycle_stage
)

select * from final
