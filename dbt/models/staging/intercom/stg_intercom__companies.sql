-- One row per Intercom company (= account), with its account owner; the latest version wins.
with

source as (
    select * from {{ source('intercom', 'companies') }}
),

latest as (
    {{ latest_version('source', 'company_id', 'updated_at desc nulls last, _loaded_at desc') }}
),

renamed as (
    select
        -- ids
        company_id,
        account_id,
        intercom_id,

        -- strings
        name as company_name,
        lower(plan_name) as plan_name,
        industry,
        account_owner,

        -- numerics
        employee_count,

        -- timestamps (UTC)
        created_at,
        updated_at,

        -- load
        {{ load_metadata() }}
    from latest
)

select * from renamed
