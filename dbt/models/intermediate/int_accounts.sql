-- One row per account: the billing customers' account keys, named and owned from Intercom.
with

customers as (
    select
        account_id,
        min(created_at) as first_customer_created_at,
        min(customer_name) as customer_name,
        min(currency) as billing_currency,
        count(*) as billing_customers
    from {{ ref('stg_stripe__customers') }}
    group by account_id
),

companies as (
    select * from {{ ref('stg_intercom__companies') }}
),

joined as (
    select
        customers.account_id,
        coalesce(companies.company_name, customers.customer_name, customers.account_id) as account_name,
        companies.account_owner,
        companies.industry,
        companies.employee_count,
        customers.billing_currency,
        customers.billing_customers,
        companies.company_id is not null as is_in_intercom,
        customers.first_customer_created_at as created_at
    from customers
    left join companies
        on customers.account_id = companies.account_id
)

select * from joined
