{#- The hook is rendered when it runs, so it sees is_incremental() and the fingerprints as the model does. -#}
{{ config(**incremental_by_day(pre_hook="{{ delete_restated_days() }}")) }}

-- One row per account and as-of date: MRR, plan and seats in force, billing health (lifetime value,
-- failed and past-due invoices), tenure and days to renewal. Only the run's as-of window is
-- (re)built, and every day of the accounts whose item periods changed since the last build
-- (macros/restated_accounts.sql); look-backs read the item periods and invoices, never this table.
with

-- The account-days of the run's window, and all the days of the accounts whose history was restated
account_days as (
    select
        account_id,
        as_of_date
    from {{ ref('int_account_days') }}
    where {{ window_or_restated_accounts() }}
),

item_periods as (
    select * from {{ ref('int_subscription_item_periods') }}
),

invoices as (
    select * from {{ ref('int_invoices') }}
    where account_id is not null
),

-- The day each account's first subscription started
first_starts as (
    select
        account_id,
        min(cast(started_at as date)) as first_started_on
    from {{ ref('int_subscriptions') }}
    where account_id is not null
    group by account_id
),

-- Every item period in force on each account-day
items_in_force as (
    select
        account_days.account_id,
        account_days.as_of_date,
        item_periods.plan_name,
        item_periods.quantity,
        item_periods.mrr,
        item_periods.is_trial,
        item_periods.renews_on,
        row_number() over (
            partition by account_days.account_id, account_days.as_of_date
            order by item_periods.mrr desc, item_periods.quantity desc, item_periods.valid_from desc, item_periods.plan_name
        ) as size_rank
    from account_days
    inner join item_periods
        on account_days.account_id = item_periods.account_id
        and item_periods.valid_from <= account_days.as_of_date
        and account_days.as_of_date < item_periods.valid_to
),

-- MRR, seats, trial and next renewal of what is in force
in_force as (
    select
        account_id,
        as_of_date,
        sum(mrr) as mrr,
        cast(sum(quantity) as bigint) as licensed_seats,
        max(case when is_trial then 1 else 0 end) = 1 as is_trialing,
        min(renews_on) as renews_on,
        max(case when size_rank = 1 then plan_name end) as plan_name
    from items_in_force
    group by account_id, as_of_date
),

-- MRR 90 days earlier, from the same item periods (history outside the window included)
in_force_90d_ago as (
    select
        account_days.account_id,
        account_days.as_of_date,
        sum(item_periods.mrr) as mrr
    from account_days
    inner join item_periods
        on account_days.account_id = item_periods.account_id
        and item_periods.valid_from <= {{ add_days(-90, 'account_days.as_of_date') }}
        and {{ add_days(-90, 'account_days.as_of_date') }} < item_periods.valid_to
    group by account_days.account_id, account_days.as_of_date
),

-- The plan last seen, for days with nothing in force: each period's plan until the next period starts
plan_starts as (
    select
        account_id,
        valid_from,
        plan_name,
        row_number() over (partition by account_id, valid_from order by mrr desc, quantity desc, plan_name) as size_rank
    from item_periods
),

latest_plans as (
    select
        account_id,
        plan_name,
        valid_from,
        lead(valid_from) over (partition by account_id order by valid_from) as next_valid_from
    from plan_starts
    where size_rank = 1
),

latest_plan_days as (
    select
        account_days.account_id,
        account_days.as_of_date,
        latest_plans.plan_name
    from account_days
    inner join latest_plans
        on account_days.account_id = latest_plans.account_id
        and latest_plans.valid_from <= account_days.as_of_date
        and (latest_plans.next_valid_from is null or account_days.as_of_date < latest_plans.next_valid_from)
),

-- Lifetime value as a step function: the running total of paid amounts from each payment day
payment_days as (
    select
        account_id,
        paid_on,
        sum(amount_paid) as amount_paid
    from invoices
    where is_paid
    group by account_id, paid_on
),

lifetime_value_steps as (
    select
        account_id,
        paid_on,
        lead(paid_on) over (partition by account_id order by paid_on) as next_paid_on,
        sum(amount_paid) over (partition by account_id order by paid_on rows between unbounded preceding and current row) as lifetime_value
    from payment_days
),

lifetime_values as (
    select
        account_days.account_id,
        account_days.as_of_date,
        lifetime_value_steps.lifetime_value
    from account_days
    inner join lifetime_value_steps
        on account_days.account_id = lifetime_value_steps.account_id
        and lifetime_value_steps.paid_on <= account_days.as_of_date
        and (lifetime_value_steps.next_paid_on is null or account_days.as_of_date < lifetime_value_steps.next_paid_on)
),

-- Invoices created in the last 90 days whose payment was tried and had not gone through by the day
failed_invoices as (
    select
        account_days.account_id,
        account_days.as_of_date,
        count(*) as failed_invoices_90d
    from account_days
    inner join invoices
        on account_days.account_id = invoices.account_id
        and invoices.has_failed_payment
        and invoices.created_on <= account_days.as_of_date
        and account_days.as_of_date < {{ add_days(90, 'invoices.created_on') }}
        and (invoices.paid_on is null or account_days.as_of_date < invoices.paid_on)
    group by account_days.account_id, account_days.as_of_date
),

-- Owed invoices past their due day and not settled by the day
past_due_invoices as (
    select
        account_days.account_id,
        account_days.as_of_date,
        count(*) as open_past_due_invoices,
        max({{ days_between('invoices.due_on', 'account_days.as_of_date') }}) as days_past_due
    from account_days
    inner join invoices
        on account_days.account_id = invoices.account_id
        and invoices.is_owed
        and invoices.due_on < account_days.as_of_date
        and (invoices.settled_on is null or account_days.as_of_date < invoices.settled_on)
    group by account_days.account_id, account_days.as_of_date
),

joined as (
    select
        -- ids
        account_days.account_id,
        account_days.as_of_date,

        -- revenue in force
        cast(coalesce(in_force.mrr, 0) as decimal(18, 2)) as mrr,
        coalesce(in_force.plan_name, latest_plan_days.plan_name) as plan_name,
        in_force.licensed_seats,
        coalesce(in_force.mrr, 0) > 0 as is_active,
        coalesce(in_force.is_trialing, false) as is_trialing,

        -- relationship in time
        {{ days_between('first_starts.first_started_on', 'account_days.as_of_date') }} as tenure_days,
        {{ days_between('account_days.as_of_date', 'in_force.renews_on') }} as days_to_renewal,

        -- payments
        cast(coalesce(lifetime_values.lifetime_value, 0) as decimal(18, 2)) as lifetime_value,
        coalesce(failed_invoices.failed_invoices_90d, 0) as failed_invoices_90d,
        coalesce(past_due_invoices.open_past_due_invoices, 0) as open_past_due_invoices,
        coalesce(past_due_invoices.days_past_due, 0) as days_past_due,

        -- growth
        cast(coalesce(in_force_90d_ago.mrr, 0) as decimal(18, 2)) as mrr_90d_ago,
        cast(
            cast(coalesce(in_force.mrr, 0) as decimal(18, 2))
            - cast(coalesce(in_force_90d_ago.mrr, 0) as decimal(18, 2))
            as decimal(18, 2)
        ) as mrr_change_90d
    from account_days
    left join in_force
        on account_days.account_id = in_force.account_id
        and account_days.as_of_date = in_force.as_of_date
    left join in_force_90d_ago
        on account_days.account_id = in_force_90d_ago.account_id
        and account_days.as_of_date = in_force_90d_ago.as_of_date
    left join latest_plan_days
        on account_days.account_id = latest_plan_days.account_id
        and account_days.as_of_date = latest_plan_days.as_of_date
    left join first_starts
        on account_days.account_id = first_starts.account_id
    left join lifetime_values
        on account_days.account_id = lifetime_values.account_id
        and account_days.as_of_date = lifetime_values.as_of_date
    left join failed_invoices
        on account_days.account_id = failed_invoices.account_id
        and account_days.as_of_date = failed_invoices.as_of_date
    left join past_due_invoices
        on account_days.account_id = past_due_invoices.account_id
        and account_days.as_of_date = past_due_invoices.as_of_date
)

select * from joined
