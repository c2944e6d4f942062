-- MRR of every account on every day of the history, in the reporting currency (the BI contract).
with

revenue as (
    select * from {{ ref('int_account_revenue_daily') }}
),

final as (
    select
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(as_of_date as date) as date,
        cast(mrr as decimal(18, 2)) as mrr
    from revenue
)

select * from final
