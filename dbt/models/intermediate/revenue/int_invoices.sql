-- One row per invoice: account resolved, money in the reporting currency (major units), and the
-- dates that decide when it counts as paid, failed or past due.
with

invoices as (
    select * from {{ ref('stg_stripe__invoices') }}
),

customer_accounts as (
    select * from {{ ref('int_customer_accounts') }}
),

currency_rates as (
    select * from {{ ref('int_currency_rates') }}
),

converted as (
    select
        -- ids
        invoices.invoice_id,
        coalesce(invoices.account_id, customer_accounts.account_id) as account_id,
        invoices.customer_id,
        invoices.subscription_id,

        -- strings
        invoices.status,
        invoices.currency,

        -- numerics: minor units of `currency` to major units of the reporting currency
        currency_rates.units_of_reporting_currency_per_unit,
        cast(
            invoices.amount_due_minor * currency_rates.units_of_reporting_currency_per_unit
            / currency_rates.minor_units_per_unit as decimal(18, 2)
        ) as amount_due,
        cast(
            invoices.amount_paid_minor * currency_rates.units_of_reporting_currency_per_unit
            / currency_rates.minor_units_per_unit as decimal(18, 2)
        ) as amount_paid,
        cast(
            invoices.amount_remaining_minor * currency_rates.units_of_reporting_currency_per_unit
            / currency_rates.minor_units_per_unit as decimal(18, 2)
        ) as amount_remaining,
        invoices.attempt_count,

        -- booleans
        invoices.is_paid,
        -- A payment was tried and did not go through: still unpaid after an attempt, or paid only
        -- by a retry (the first attempt failed).
        (
            (invoices.status in ('open', 'uncollectible') and invoices.attempt_count >= 1)
            or (invoices.is_paid and invoices.attempt_count >= 2)
        ) as has_failed_payment,
        -- Money is owed on it (void and draft invoices are not owed).
        (invoices.status in ('open', 'uncollectible') and invoices.amount_remaining_minor > 0)
        or invoices.is_paid as is_owed,

        -- dates
        cast(invoices.created_at as date) as created_on,
        -- Due on its due date; an invoice charged automatically (no due date) is due when created,
        -- plus `invoice_grace_days`.
        coalesce(
            cast(invoices.due_at as date),
            {{ add_days(var('invoice_grace_days', 0), 'cast(invoices.created_at as date)') }}
        ) as due_on,
        case when invoices.is_paid then cast(coalesce(invoices.paid_at, invoices.created_at) as date) end as paid_on
    from invoices
    left join customer_accounts
        on invoices.customer_id = customer_accounts.customer_id
    left join currency_rates
        on invoices.currency = currency_rates.currency
),

-- A written-off (uncollectible) invoice stays owed until the account pays a later invoice: from
-- then on the customer is paying again and the write-off is history
later_payments as (
    select
        written_off.invoice_id,
        min(later.paid_on) as later_invoice_paid_on
    from converted as written_off
    inner join converted as later
        on written_off.account_id = later.account_id
        and later.is_paid
        and later.created_on > written_off.created_on
    where written_off.status = 'uncollectible'
    group by written_off.invoice_id
),

settled as (
    select
        converted.*,
        -- The day it stopped being owed: paid, or (written off) a later invoice paid
        case
            when converted.is_paid then converted.paid_on
            when converted.status = 'uncollectible' then later_payments.later_invoice_paid_on
        end as settled_on
    from converted
    left join later_payments
        on converted.invoice_id = later_payments.invoice_id
)

select * from settled
