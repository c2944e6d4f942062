-- One row per conversation: who started it and who answered; the latest version wins.
with

source as (
    select * from {{ source('intercom', 'conversations') }}
),

latest as (
    {{ latest_version('source', 'conversation_id', 'updated_at desc nulls last, _loaded_at desc') }}
),

renamed as (
    select
        -- ids
        conversation_id,
        account_id,
        contact_id,
        admin_assignee_id,

        -- strings
        lower(initiated_by) as initiated_by,
        lower(answered_by) as answered_by,
        lower(state) as state,

        -- numerics
        rating,

        -- booleans: a two-way conversation is one the other side answered
        answered_by is not null and lower(answered_by) <> lower(initiated_by) as is_two_way,

        -- timestamps (UTC)
        created_at,
        first_response_at,
        updated_at,

        -- load
        {{ load_metadata() }}
    from latest
)

select * from renamed
