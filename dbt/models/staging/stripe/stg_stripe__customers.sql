-- One row per billing customer; the latest landed version wins.
with

source as (
    select * from {{ source('stripe', 'customers') }}
),

latest as (
    {{ latest_version('source', 'customer_id', '_loaded_at desc') }}
),

renamed as (
    select
        -- ids
        customer_id,
        account_id,

        -- strings
        name as customer_name,
        lower(email) as email,
        lower(currency) as currency,
        metadata,

        -- booleans
        coalesce(delinquent, false) as is_delinquent,
        coalesce(deleted, false) as is_deleted,

        -- timestamps (UTC)
        created_at,

        -- load
        {{ load_metadata() }}
    from latest
)

select * from renamed
