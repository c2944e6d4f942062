-- One row per invoice line item with its price and period; the latest landed version wins.
with

source as (
    select * from {{ source('stripe', 'invoice_line_items') }}
),

latest as (
    {{ latest_version('source', 'line_item_id', '_loaded_at desc') }}
),

renamed as (
    select
        -- ids
        line_item_id,
        invoice_id,
        subscription_id,
        subscription_item_id,
        price_id,

        -- strings
        lower(plan_name) as plan_name,
        lower(currency) as currency,
        -- `interval` is a reserved word: quoted as the engine quotes names (Spark: backticks)
        lower({{ adapter.quote('interval') }}) as billing_interval,
        description,

        -- numerics (money in minor units of `currency`)
        amount as amount_minor,
        coalesce(discount_amount, 0) as discount_amount_minor,
        coalesce(inclusive_tax_amount, 0) as inclusive_tax_amount_minor,
        -- what the line earns: net of discounts, without tax (as ChartMogul and ProfitWell count MRR)
        amount - coalesce(discount_amount, 0) - coalesce(inclusive_tax_amount, 0) as net_amount_minor,
        unit_amount as unit_amount_minor,
        coalesce(interval_count, 1) as billing_interval_count,
        coalesce(quantity, 1) as quantity,

        -- booleans
        proration as is_proration,

        -- timestamps (UTC)
        period_start,
        period_end,

        -- load
        {{ load_metadata() }}
    from latest
)

select * from renamed
