-- depends_on: {{ ref('int_subscription_item_periods') }} (the restated accounts' item periods)
{#- A run rebuilds the days int_account_revenue_daily rebuilt: the window's, and every day of the
    accounts it restated (macros/restated_accounts.sql; int_account_billing_fingerprints is built after
    this model, so it still holds what the revenue model compared with). The hook is rendered when it
    runs, so it sees is_incremental() and the fingerprints as the model does. -#}
{{ config(**incremental_by_day(
    column='date',
    strategy='append',
    pre_hook="{% if is_incremental() %}delete from {{ this }} "
        ~ "where {{ window_or_restated_accounts(adapter.quote('date')) }}{% endif %}",
)) }}

-- MRR of every account on every day of the history, in the reporting currency (the BI contract).
with

revenue as (
    select * from {{ ref('int_account_revenue_daily') }}
    {%- if is_incremental() %}
    where {{ window_or_restated_accounts() }}
    {%- endif %}
),

final as (
    select
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(as_of_date as date) as date,
        cast(mrr as decimal(18, 2)) as mrr
    from revenue
)

select * from final
