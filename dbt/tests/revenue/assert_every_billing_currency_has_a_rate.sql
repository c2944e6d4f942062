-- Currencies seen anywhere in billing that seeds/currency_rates.csv does not list: their money would
-- drop out of MRR and lifetime value. The test passes when there are none.
-- A check of currency_rates in Dagster (the test reads more than one model).
{{ config(meta={'dagster': {'ref': {'name': 'currency_rates'}}}) }}
with

billing_currencies as (
    select currency, 'stripe customers' as seen_in from {{ ref('stg_stripe__customers') }}
    union all
    select currency, 'subscription items' as seen_in from {{ ref('stg_stripe__subscription_items') }}
    union all
    select currency, 'invoices' as seen_in from {{ ref('stg_stripe__invoices') }}
    union all
    select currency, 'invoice line items' as seen_in from {{ ref('stg_stripe__invoice_line_items') }}
),

rates as (
    select * from {{ ref('currency_rates') }}
)

select
    billing_currencies.currency,
    billing_currencies.seen_in,
    count(*) as records
from billing_currencies
left join rates
    on billing_currencies.currency = rates.currency
where billing_currencies.currency is not null
    and rates.currency is null
group by billing_currencies.currency, billing_currencies.seen_in
