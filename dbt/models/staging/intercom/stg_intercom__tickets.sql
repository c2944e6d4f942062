-- One row per support ticket with priority, state and rating; the latest version wins.
with

source as (
    select * from {{ source('intercom', 'tickets') }}
),

latest as (
    {{ latest_version('source', 'ticket_id', 'updated_at desc nulls last, _loaded_at desc') }}
),

renamed as (
    select
        -- ids
        ticket_id,
        account_id,
        contact_id,

        -- strings
        category,
        title,
        lower(priority) as priority,
        lower(state) as state,

        -- numerics
        rating,

        -- booleans
        lower(state) <> 'resolved' as is_open,

        -- timestamps (UTC)
        created_at,
        updated_at,
        closed_at,

        -- load
        {{ load_metadata() }}
    from latest
)

select * from renamed
