-- One row per contact (user or lead) with its account; the latest version wins.
with

source as (
    select * from {{ source('intercom', 'contacts') }}
),

latest as (
    {{ latest_version('source', 'contact_id', 'updated_at desc nulls last, _loaded_at desc') }}
),

renamed as (
    select
        -- ids
        contact_id,
        external_id,
        account_id,

        -- strings
        lower(email) as email,
        name as contact_name,
        lower(coalesce(role, 'user')) as contact_role,

        -- timestamps (UTC)
        created_at,
        updated_at,
        last_seen_at,

        -- load
        {{ load_metadata() }}
    from latest
)

select * from renamed
