-- Does the health score foresee churn? Measured on every past monthly snapshot whose 90-day outcome is
-- known, for all accounts and for each segment:
--   * per grade and per colour: snapshots, churned, churn rate, lift over the base rate, share of churners;
--   * per segment (dimension `overall`): the same for all snapshots, and how well the score and the churn
--     model rank churners (AUC), how early the score warned, how often red was a false alarm, and how
--     often colour and likelihood called renewals right.
{%- set scopes = ['all', 'segment'] %}
with

snapshots as (
    select * from {{ ref('int_score_backtest_snapshots') }}
),

-- Every snapshot counted once for all accounts and once for its segment
scoped as (
    {%- for scope in scopes %}
    select
        {{ "'all'" if scope == 'all' else 'segment' }} as segment,
        as_of_date,
        health_score,
        grade,
        color,
        churn_likelihood,
        renews_within_horizon,
        churned_within_horizon
    from snapshots
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),

by_value as (
    select segment, 'grade' as dimension, grade as dimension_value, as_of_date, churned_within_horizon
    from scoped
    union all
    select segment, 'color', color, as_of_date, churned_within_horizon
    from scoped
    union all
    select segment, 'overall', 'all', as_of_date, churned_within_horizon
    from scoped
),

groups as (
    select
        segment,
        dimension,
        dimension_value,
        count(distinct as_of_date) as snapshot_dates,
        count(*) as account_snapshots,
        sum(churned_within_horizon) as churned
    from by_value
    group by 1, 2, 3
),

totals as (
    select
        segment,
        count(*) as account_snapshots,
        sum(churned_within_horizon) as churned
    from scoped
    group by 1
),

-- AUC as the Mann-Whitney statistic: the chance that a churner ranks riskier than a non-churner, ties
-- counting half. Ranks are averaged over ties. A low health score and a high likelihood are risky.
health_ranks as (
    select
        segment,
        churned_within_horizon,
        rank() over (partition by segment order by health_score desc)
        + (count(*) over (partition by segment, health_score) - 1) / 2.0 as risk_rank
    from scoped
    where health_score is not null
),

likelihood_ranks as (
    select
        segment,
        churned_within_horizon,
        rank() over (partition by segment order by churn_likelihood)
        + (count(*) over (partition by segment, churn_likelihood) - 1) / 2.0 as risk_rank
    from scoped
    where churn_likelihood is not null
),

{%- for ranked in ['health', 'likelihood'] %}

{{ ranked }}_auc as (
    select
        segment,
        count(*) as ranked_snapshots,
        (
            sum(case when churned_within_horizon = 1 then risk_rank else 0 end)
            - sum(churned_within_horizon) * (sum(churned_within_horizon) + 1) / 2.0
        ) / nullif(cast(sum(churned_within_horizon) as {{ type_double() }}) * sum(1 - churned_within_horizon), 0) as auc
    from {{ ranked }}_ranks
    group by 1
),
{%- endfor %}

early_warnings as (
    {%- for scope in scopes %}
    select
        {{ "'all'" if scope == 'all' else 'segment' }} as segment,
        count(*) as churners_observed,
        avg(cast(was_below_green as {{ type_double() }})) as share_warned
    from {{ ref('int_churn_early_warnings') }}
    {{ 'group by 1' if scope != 'all' }}
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),

renewals as (
    select
        segment,
        count(*) as renewal_snapshots,
        -- Shares are averaged as doubles: an average of decimals keeps only a few digits on Spark
        avg(case
            when (color = 'red') = (churned_within_horizon = 1) then cast(1 as {{ type_double() }})
            else cast(0 as {{ type_double() }})
        end) as renewal_accuracy,
        avg(case
            when color = 'red' then cast(1 - churned_within_horizon as {{ type_double() }})
        end) as false_alarm_rate
    from scoped
    where renews_within_horizon = 1
    group by 1
),

-- Candidate likelihood thresholds 0.01 to 0.99: a renewal is called churn at or above the threshold
digits as (
    {%- for digit in range(10) %}
    select {{ digit }} as digit {{ 'union all' if not loop.last }}
    {%- endfor %}
),

thresholds as (
    select cast(tens.digit * 10 + ones.digit as {{ type_double() }}) / 100 as threshold
    from digits as tens
    cross join digits as ones
    where tens.digit * 10 + ones.digit > 0
),

threshold_accuracy as (
    select
        scoped.segment,
        thresholds.threshold,
        count(*) as renewal_snapshots,
        avg(case
            when (scoped.churn_likelihood >= thresholds.threshold) = (scoped.churned_within_horizon = 1)
                then cast(1 as {{ type_double() }})
            else cast(0 as {{ type_double() }})
        end) as accuracy
    from scoped
    cross join thresholds
    where scoped.renews_within_horizon = 1
        and scoped.churn_likelihood is not null
    group by 1, 2
),

-- The most accurate threshold; among equally accurate ones the lowest, which flags the most renewals
best_threshold as (
    select
        segment,
        renewal_snapshots,
        threshold,
        accuracy
    from (
        select
            *,
            row_number() over (partition by segment order by accuracy desc, threshold) as accuracy_rank
        from threshold_accuracy
    ) as ranked
    where accuracy_rank = 1
),

final as (
    select
        groups.segment,
        groups.dimension,
        groups.dimension_value,
        cast(groups.snapshot_dates as bigint) as snapshot_dates,
        cast(groups.account_snapshots as bigint) as account_snapshots,
        cast(groups.churned as bigint) as churned,
        cast(groups.churned as {{ type_double() }}) / groups.account_snapshots as churn_rate,
        cast(totals.churned as {{ type_double() }}) / totals.account_snapshots as base_rate,
        (cast(groups.churned as {{ type_double() }}) / groups.account_snapshots)
            / nullif(cast(totals.churned as {{ type_double() }}) / totals.account_snapshots, 0) as lift,
        cast(groups.churned as {{ type_double() }}) / nullif(totals.churned, 0) as share_of_churners,
        {%- set overall = "groups.dimension = 'overall'" %}
        case when {{ overall }} then cast(health_auc.auc as {{ type_double() }}) end as health_score_auc,
        case when {{ overall }} then cast(likelihood_auc.auc as {{ type_double() }}) end as churn_likelihood_auc,
        case when {{ overall }} then cast(coalesce(likelihood_auc.ranked_snapshots, 0) as bigint) end
            as likelihood_snapshots,
        case when {{ overall }} then cast(coalesce(early_warnings.churners_observed, 0) as bigint) end
            as churners_observed,
        case when {{ overall }} then cast(early_warnings.share_warned as {{ type_double() }}) end
            as share_of_churners_warned_60_90d,
        case when {{ overall }} then cast(coalesce(renewals.renewal_snapshots, 0) as bigint) end
            as renewal_snapshots,
        case when {{ overall }} then cast(renewals.false_alarm_rate as {{ type_double() }}) end as false_alarm_rate,
        case when {{ overall }} then cast(renewals.renewal_accuracy as {{ type_double() }}) end as renewal_accuracy,
        case when {{ overall }} then cast(best_threshold.threshold as {{ type_double() }}) end
            as best_likelihood_threshold,
        case when {{ overall }} then cast(best_threshold.accuracy as {{ type_double() }}) end
            as renewal_accuracy_at_threshold
    from groups
    inner join totals
        on groups.segment = totals.segment
    left join health_auc
        on groups.segment = health_auc.segment
    left join likelihood_auc
        on groups.segment = likelihood_auc.segment
    left join early_warnings
        on groups.segment = early_warnings.segment
    left join renewals
        on groups.segment = renewals.segment
    left join best_threshold
        on groups.segment = best_threshold.segment
)

select * from final
