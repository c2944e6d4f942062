-- One row per product event; an event delivered twice is kept once.
with

source as (
    select * from {{ source('intercom', 'events') }}
),

latest as (
    {{ latest_version('source', 'event_id', '_loaded_at desc') }}
),

renamed as (
    select
        -- ids
        event_id,
        contact_id,
        account_id,

        -- strings
        lower(event_name) as event_name,
        metadata,

        -- timestamps (UTC)
        occurred_at,
        cast(occurred_at as date) as occurred_on,

        -- load
        {{ load_metadata() }}
    from latest
)

select * from renamed
