-- One row per invoice line, completed with what the line alone may not say. From Stripe API version
-- 2025-03-31 a line names its price by id only, and a proration billed as an invoice item names its
-- subscription but not the subscription item; without a price catalogue the interval is unknown.
with

line_items as (
    select * from {{ ref('stg_stripe__invoice_line_items') }}
),

subscription_items as (
    select * from {{ ref('stg_stripe__subscription_items') }}
),

-- What every line or item that shows a price says of it: a price's interval never changes
prices as (
    select
        price_id,
        max(billing_interval) as billing_interval,
        max(billing_interval_count) as billing_interval_count,
        max(plan_name) as plan_name
    from (
        select price_id, billing_interval, billing_interval_count, plan_name
        from line_items
        where billing_interval is not null
        union all
        select price_id, billing_interval, billing_interval_count, plan_name
        from subscription_items
    ) as shown
    where price_id is not null
    group by price_id
),

-- The subscription item that carries a price within its subscription, for lines that name only both
items_by_price as (
    select
        subscription_id,
        price_id,
        min(subscription_item_id) as subscription_item_id
    from (
        select subscription_id, price_id, subscription_item_id
        from subscription_items
        union all
        select subscription_id, price_id, subscription_item_id
        from line_items
        where subscription_item_id is not null
    ) as priced
    where subscription_id is not null and price_id is not null
    group by subscription_id, price_id
),

resolved as (
    select
        line_items.*,
        coalesce(line_items.subscription_item_id, items_by_price.subscription_item_id) as resolved_item_id,
        prices.billing_interval as price_interval,
        prices.billing_interval_count as price_interval_count,
        prices.plan_name as price_plan_name
    from line_items
    left join prices
        on line_items.price_id = prices.price_id
    left join items_by_price
        on line_items.subscription_id = items_by_price.subscription_id
        and line_items.price_id = items_by_price.price_id
),

final as (
    select
        -- ids
        resolved.line_item_id,
        resolved.invoice_id,
        resolved.subscription_id,
        resolved.resolved_item_id as subscription_item_id,
        resolved.price_id,

        -- strings: the line's own, else the price's as shown elsewhere, else its item's
        coalesce(resolved.plan_name, resolved.price_plan_name, subscription_items.plan_name) as plan_name,
        resolved.currency,
        coalesce(resolved.billing_interval, resolved.price_interval, subscription_items.billing_interval)
            as billing_interval,
        resolved.description,

        -- numerics (money in minor units of `currency`)
        case
            when resolved.billing_interval is not null then resolved.billing_interval_count
            else coalesce(resolved.price_interval_count, subscription_items.billing_interval_count)
        end as billing_interval_count,
        resolved.quantity,
        resolved.unit_amount_minor,
        resolved.amount_minor,
        resolved.net_amount_minor,
        -- the share of the list price the customer pays once discounts and inclusive taxes are out
        case
            when resolved.amount_minor <> 0
                then cast(resolved.net_amount_minor as {{ type_double() }}) / resolved.amount_minor
            else 1
        end as net_share,

        -- booleans
        resolved.is_proration,

        -- timestamps (UTC)
        resolved.period_start,
        resolved.period_end
    from resolved
    left join subscription_items
        on resolved.resolved_item_id = subscription_items.subscription_item_id
)

select * from final
