-- MRR movements per account and month (the BI contract): they add up to each month's change in total MRR.
with

movements as (
    select * from {{ ref('int_mrr_movements') }}
),

final as (
    select
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(month as date) as month,
        cast(mrr as decimal(18, 2)) as mrr,
        cast(previous_mrr as decimal(18, 2)) as previous_mrr,
        cast(mrr_change as decimal(18, 2)) as mrr_change,
        cast(movement as {{ dbt.type_string() }}) as movement
    from movements
)

select * from final
