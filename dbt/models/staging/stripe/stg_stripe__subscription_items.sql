-- One row per subscription item with its price; the latest landed version wins.
with

source as (
    select * from {{ source('stripe', 'subscription_items') }}
),

latest as (
    {{ latest_version('source', 'subscription_item_id', '_loaded_at desc') }}
),

renamed as (
    select
        -- ids
        subscription_item_id,
        subscription_id,
        price_id,
        product_id,

        -- strings
        lower(plan_name) as plan_name,
        lower(currency) as currency,
        -- `interval` is a reserved word: quoted as the engine quotes names (Spark: backticks)
        lower({{ adapter.quote('interval') }}) as billing_interval,

        -- numerics (money in minor units of `currency`)
        unit_amount as unit_amount_minor,
        -- a metered item bills its usage: only its invoices say how much
        case
            when usage_type = 'metered' then null
            else coalesce(amount_per_interval, unit_amount * coalesce(quantity, 1))
        end as amount_per_interval_minor,
        coalesce(interval_count, 1) as billing_interval_count,
        coalesce(quantity, 1) as quantity,

        -- booleans
        coalesce(usage_type = 'metered', false) as is_metered,

        -- timestamps (UTC)
        created_at,

        -- load
        {{ load_metadata() }}
    from latest
)

select * from renamed
