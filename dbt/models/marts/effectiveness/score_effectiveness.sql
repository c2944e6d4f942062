-- Does the health score foresee churn? For every past snapshot whose 90-day outcome is known (the
-- monthly snapshots of int_churn_snapshots), the accounts of each grade and colour, how many churned
-- within the horizon, the churn rate, its lift over the base rate and the share of all churners it
-- holds; for all accounts and for each segment.
with

snapshots as (
    select
        snapshots.account_id,
        snapshots.as_of_date,
        snapshots.segment,
        snapshots.churned_within_horizon,
        health.grade,
        health.color
    from {{ ref('int_churn_snapshots') }} as snapshots
    inner join {{ ref('int_account_health_daily') }} as health
        on snapshots.account_id = health.account_id
        and snapshots.as_of_date = health.as_of_date
),

-- Each snapshot counted once for all accounts and once for its segment, by grade and by colour
scoped as (
    select 'all' as segment, 'grade' as dimension, grade as dimension_value, as_of_date, churned_within_horizon
    from snapshots
    union all
    select 'all', 'color', color, as_of_date, churned_within_horizon
    from snapshots
    union all
    select segment, 'grade', grade, as_of_date, churned_within_horizon
    from snapshots
    union all
    select segment, 'color', color, as_of_date, churned_within_horizon
    from snapshots
),

groups as (
    select
        segment,
        dimension,
        dimension_value,
        count(distinct as_of_date) as snapshot_dates,
        count(*) as account_snapshots,
        sum(churned_within_horizon) as churned
    from scoped
    group by 1, 2, 3
),

totals as (
    select
        segment,
        dimension,
        sum(account_snapshots) as account_snapshots,
        sum(churned) as churned
    from groups
    group by 1, 2
),

final as (
    select
        groups.segment,
        groups.dimension,
        groups.dimension_value,
        cast(groups.snapshot_dates as bigint) as snapshot_dates,
        cast(groups.account_snapshots as bigint) as account_snapshots,
        cast(groups.churned as bigint) as churned,
        cast(groups.churned as double) / groups.account_snapshots as churn_rate,
        cast(totals.churned as double) / totals.account_snapshots as base_rate,
        (cast(groups.churned as double) / groups.account_snapshots)
            / nullif(cast(totals.churned as double) / totals.account_snapshots, 0) as lift,
        cast(groups.churned as double) / nullif(totals.churned, 0) as share_of_churners
    from groups
    inner join totals
        on groups.segment = totals.segment
        and groups.dimension = totals.dimension
)

select * from final
