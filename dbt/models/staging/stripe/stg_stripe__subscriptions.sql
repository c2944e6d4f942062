-- One row per subscription, every status; the latest landed version wins.
with

source as (
    select * from {{ source('stripe', 'subscriptions') }}
),

latest as (
    {{ latest_version('source', 'subscription_id', '_loaded_at desc') }}
),

renamed as (
    select
        -- ids
        subscription_id,
        customer_id,
        account_id,

        -- strings
        lower(status) as status,
        metadata,

        -- booleans
        coalesce(cancel_at_period_end, false) as is_cancel_at_period_end,

        -- timestamps (UTC)
        created_at,
        coalesce(started_at, created_at) as started_at,
        current_period_start,
        current_period_end,
        canceled_at,
        ended_at,

        -- load
        {{ load_metadata() }}
    from latest
)

select * from renamed
