-- One row per invoice; the latest landed version wins.
with

source as (
    select * from {{ source('stripe', 'invoices') }}
),

latest as (
    {{ latest_version('source', 'invoice_id', '_loaded_at desc') }}
),

renamed as (
    select
        -- ids
        invoice_id,
        customer_id,
        account_id,
        subscription_id,

        -- strings
        lower(status) as status,
        lower(currency) as currency,

        -- numerics (money in minor units of `currency`)
        amount_due as amount_due_minor,
        amount_paid as amount_paid_minor,
        coalesce(amount_remaining, amount_due - amount_paid) as amount_remaining_minor,
        coalesce(attempt_count, 0) as attempt_count,

        -- booleans
        lower(status) = 'paid' as is_paid,

        -- timestamps (UTC)
        created_at,
        due_at,
        paid_at,
        period_start,
        period_end,

        -- load
        {{ load_metadata() }}
    from latest
)

select * from renamed
