-- Account-months whose MRR in the movements differs from mrr_daily on the day that represents the
-- month: both must come from the same item periods. The test passes when there are none.
-- A check of int_mrr_movements in Dagster (the test reads more than one model).
{{ config(meta={'dagster': {'ref': {'name': 'int_mrr_movements'}}}) }}
with

movements as (
    select * from {{ ref('int_mrr_movements') }}
),

daily as (
    select * from {{ ref('mrr_daily') }}
)

select
    movements.account_id,
    movements.month,
    movements.represented_on,
    movements.mrr as movement_mrr,
    daily.mrr as daily_mrr
from movements
inner join daily
    on movements.account_id = daily.account_id
    and movements.represented_on = daily.date
where movements.mrr <> daily.mrr
