-- One row per subscription item and stretch of days at one price and quantity: what each item
-- contributes to MRR from valid_from (inclusive) to valid_to (exclusive), in the reporting currency.
-- Invoice lines say what was billed for each period; proration lines date mid-period changes;
-- the subscription's current items cover the days after the last invoiced period. MRR is net of
-- discounts and without tax, as ChartMogul and ProfitWell count it.
with

-- Incomplete subscriptions never started billing: no MRR
subscriptions as (
    select * from {{ ref('int_subscriptions') }}
    where status not in ('incomplete', 'incomplete_expired')
),

subscription_items as (
    select * from {{ ref('stg_stripe__subscription_items') }}
),

currency_rates as (
    select * from {{ ref('int_currency_rates') }}
),

-- Recurring lines (of a subscription, at a price with an interval: a one-off charge is not MRR); a
-- proration charge needs its unit price to say what changed
line_items as (
    select * from {{ ref('int_invoice_line_items') }}
    where subscription_id is not null
        and billing_interval is not null
        and not (is_proration and amount_minor >= 0 and unit_amount_minor is null)
),

-- The first billed period start of all: the billing history the source holds begins there
billing_history as (
    select min(period_start) as starts_at
    from line_items
    where not is_proration
),

-- Each subscription's invoiced span: from its first regular line's start to its last one's end
invoiced as (
    select
        subscription_id,
        min(period_start) as first_invoiced_at,
        max(period_end) as last_invoiced_at
    from line_items
    where not is_proration
    group by subscription_id
),

-- Each subscription's invoiced span and when it stops counting
subscription_bounds as (
    select
        subscriptions.subscription_id,
        subscriptions.account_id,
        subscriptions.status,
        subscriptions.started_at,
        subscriptions.current_period_end,
        invoiced.first_invoiced_at,
        invoiced.last_invoiced_at,
        -- A canceled subscription counts nothing from the day it ended
        case
            when subscriptions.ended_at is not null then subscriptions.ended_at
            when subscriptions.status = 'canceled'
                then coalesce(subscriptions.canceled_at, invoiced.last_invoiced_at, subscriptions.started_at)
        end as ended_at,
        -- Days before the first invoice are a trial when the billing history covers the start;
        -- before the history begins they are assumed billed at the first invoiced price
        coalesce(subscriptions.started_at >= billing_history.starts_at, false) as is_start_in_billing_history
    from subscriptions
    cross join billing_history
    left join invoiced
        on subscriptions.subscription_id = invoiced.subscription_id
),

-- Invoice lines as price changes of an item: a regular line sets the price for its period, a
-- proration charge sets the new price from the change, a proration credit ends the old price then
line_changes as (
    select
        line_items.subscription_id,
        coalesce(
            line_items.subscription_item_id,
            {{ dbt.concat(["line_items.subscription_id", "'|'", "coalesce(line_items.price_id, line_items.plan_name, '')"]) }}
        ) as item_key,
        case
            when not line_items.is_proration then 'invoice_line'
            when line_items.amount_minor < 0 then 'proration_credit'
            else 'proration_charge'
        end as source,
        line_items.plan_name,
        line_items.currency,
        line_items.billing_interval,
        line_items.billing_interval_count,
        line_items.quantity,
        line_items.net_share,
        -- Unit price x quantity, less the line's discounts and inclusive taxes; a regular line without a
        -- unit price (tiered, metered) is normalised from what it earned
        coalesce(
            line_items.unit_amount_minor * line_items.quantity * line_items.net_share,
            case when not line_items.is_proration then line_items.net_amount_minor end
        ) as amount_per_interval_minor,
        -- Stripe bills a trial as a zero-amount line at the plan's price
        (
            not line_items.is_proration
            and line_items.amount_minor = 0
            and line_items.unit_amount_minor * line_items.quantity > 0
        ) as is_trial,
        -- At the same instant a credit goes first and a charge last: the new price wins
        case
            when not line_items.is_proration then 1
            when line_items.amount_minor < 0 then 0
            else 2
        end as change_order,
        line_items.period_start as starts_at,
        line_items.period_end,
        line_items.period_end as renews_at
    from line_items
    inner join subscriptions
        on line_items.subscription_id = subscriptions.subscription_id
),

-- The latest change wins: each line counts until the next change of the same item (or its period end)
next_changes as (
    select
        *,
        lead(starts_at) over (partition by item_key order by starts_at, change_order) as next_change_at
    from line_changes
),

line_periods as (
    select
        *,
        case
            when next_change_at < period_end then next_change_at
            else period_end
        end as ends_at
    from next_changes
),

-- Days before the first invoiced period: a trial, or (before the billing history) the first price
leading_periods as (
    select
        first_lines.subscription_id,
        first_lines.item_key,
        case when subscription_bounds.is_start_in_billing_history then 'trial' else 'before_first_invoice' end as source,
        first_lines.plan_name,
        first_lines.currency,
        first_lines.billing_interval,
        first_lines.billing_interval_count,
        first_lines.quantity,
        first_lines.amount_per_interval_minor,
        subscription_bounds.is_start_in_billing_history or first_lines.is_trial as is_trial,
        subscription_bounds.started_at as starts_at,
        subscription_bounds.first_invoiced_at as ends_at,
        subscription_bounds.first_invoiced_at as renews_at
    from line_periods as first_lines
    inner join subscription_bounds
        on first_lines.subscription_id = subscription_bounds.subscription_id
        and first_lines.starts_at = subscription_bounds.first_invoiced_at
    where first_lines.source = 'invoice_line'
        and subscription_bounds.started_at < subscription_bounds.first_invoiced_at
),

-- Each item's latest regular line: its discount carries on, and a metered item bills about as much
last_lines as (
    select
        item_key,
        amount_per_interval_minor,
        net_share
    from (
        select
            item_key,
            amount_per_interval_minor,
            net_share,
            row_number() over (partition by item_key order by starts_at desc) as recency
        from line_periods
        where source = 'invoice_line'
    ) as ranked
    where recency = 1
),

-- Days after the last invoiced period (or all days, with no invoice) until the subscription ends
-- or its current period does: the current items; a trial while the subscription is trialing, or
-- when it was never invoiced though the billing history covers its start
trailing_periods as (
    select
        subscription_items.subscription_id,
        subscription_items.subscription_item_id as item_key,
        case
            when subscription_bounds.status = 'trialing'
                or (subscription_bounds.first_invoiced_at is null and subscription_bounds.is_start_in_billing_history)
                then 'trial'
            else 'current_item'
        end as source,
        subscription_items.plan_name,
        subscription_items.currency,
        subscription_items.billing_interval,
        subscription_items.billing_interval_count,
        subscription_items.quantity,
        -- The item's price (its discount as last invoiced), else what its last invoice billed (metered
        -- or unknown tiers), else nothing yet
        coalesce(
            subscription_items.amount_per_interval_minor * coalesce(last_lines.net_share, 1),
            last_lines.amount_per_interval_minor,
            0
        ) as amount_per_interval_minor,
        subscription_bounds.status = 'trialing'
        or (subscription_bounds.first_invoiced_at is null and subscription_bounds.is_start_in_billing_history) as is_trial,
        coalesce(subscription_bounds.last_invoiced_at, subscription_bounds.started_at) as starts_at,
        coalesce(subscription_bounds.ended_at, subscription_bounds.current_period_end, cast('9999-12-31' as timestamp)) as ends_at,
        subscription_bounds.current_period_end as renews_at
    from subscription_items
    inner join subscription_bounds
        on subscription_items.subscription_id = subscription_bounds.subscription_id
    left join last_lines
        on subscription_items.subscription_item_id = last_lines.item_key
    where subscription_bounds.status <> 'paused'
),

all_periods as (
    select
        subscription_id, item_key, source, plan_name, currency, billing_interval, billing_interval_count,
        quantity, amount_per_interval_minor, is_trial, starts_at, ends_at, renews_at
    from line_periods
    where source <> 'proration_credit'
    union all
    select
        subscription_id, item_key, source, plan_name, currency, billing_interval, billing_interval_count,
        quantity, amount_per_interval_minor, is_trial, starts_at, ends_at, renews_at
    from leading_periods
    union all
    select
        subscription_id, item_key, source, plan_name, currency, billing_interval, billing_interval_count,
        quantity, amount_per_interval_minor, is_trial, starts_at, ends_at, renews_at
    from trailing_periods
),

-- Whole days (a change counts from the day it happened), cut at the subscription's end
dated as (
    select
        all_periods.*,
        subscription_bounds.account_id,
        cast(all_periods.starts_at as date) as valid_from,
        cast(
            case
                when subscription_bounds.ended_at < all_periods.ends_at then subscription_bounds.ended_at
                else all_periods.ends_at
            end as date
        ) as valid_to
    from all_periods
    inner join subscription_bounds
        on all_periods.subscription_id = subscription_bounds.subscription_id
),

-- A month's worth of each price: yearly / 12, weekly x 52 / 12, daily x 365 / 12, per interval count
normalised as (
    select
        dated.*,
        currency_rates.units_of_reporting_currency_per_unit,
        case
            when dated.is_trial then 0
            else
                -- in double, as DuckDB divides: PostgreSQL would keep numeric digits, Spark round them
                cast(dated.amount_per_interval_minor as {{ type_double() }})
                * case dated.billing_interval
                    when 'year' then 1
                    when 'month' then 12
                    when 'week' then 52
                    when 'day' then 365
                end
                / cast(12 * dated.billing_interval_count * currency_rates.minor_units_per_unit as {{ type_double() }})
        end as monthly_amount_in_currency
    from dated
    left join currency_rates
        on dated.currency = currency_rates.currency
),

final as (
    select
        -- ids
        {{ dbt.concat(["item_key", "'|'", "cast(valid_from as " ~ dbt.type_string() ~ ")"]) }} as item_period_id,
        account_id,
        subscription_id,
        item_key,

        -- strings
        source,
        plan_name,
        currency,
        billing_interval,

        -- numerics
        billing_interval_count,
        quantity,
        amount_per_interval_minor,
        units_of_reporting_currency_per_unit,
        cast(monthly_amount_in_currency as decimal(18, 6)) as monthly_amount,
        cast(monthly_amount_in_currency * units_of_reporting_currency_per_unit as decimal(18, 6)) as mrr,

        -- booleans
        is_trial,

        -- dates
        valid_from,
        valid_to,
        cast(renews_at as date) as renews_on
    from normalised
    where valid_from < valid_to
)

select * from final
