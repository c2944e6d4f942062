-- One row per product event. Landing keeps one row per event id (a re-delivered event replaces the
-- stored one), and the source's unique test guards it: no deduplication here, so a query that reads
-- a few days of events scans only those days, not the whole history.
with

source as (
    select * from {{ source('intercom', 'events') }}
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
        -- the day the landing stored with the event: Spark reads only the partitions of the days asked for
        occurred_on,

        -- load
        {{ load_metadata() }}
    from source
)

select * from renamed
