-- One row per NPS or CSAT survey response; the latest version wins.
with

source as (
    select * from {{ source('intercom', 'survey_responses') }}
),

latest as (
    {{ latest_version('source', 'response_id', '_loaded_at desc') }}
),

renamed as (
    select
        -- ids
        response_id,
        account_id,
        contact_id,

        -- strings
        lower(survey_type) as survey_type,
        comment,

        -- numerics
        score,

        -- timestamps (UTC)
        responded_at,

        -- load
        {{ load_metadata() }}
    from latest
)

select * from renamed
