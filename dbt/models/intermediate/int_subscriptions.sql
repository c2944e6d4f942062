-- Subscriptions with their account resolved: the source's account key, else the customer's.
select
    subscriptions.subscription_id,
    subscriptions.customer_id,
    coalesce(subscriptions.account_id, customer_accounts.account_id) as account_id,
    -- Deleting a customer cancels its subscriptions, whatever their last landed state says
    case
        when
            coalesce(customer_accounts.is_deleted, false)
            and subscriptions.status not in ('canceled', 'incomplete', 'incomplete_expired')
            then 'canceled'
        else subscriptions.status
    end as status,
    subscriptions.is_cancel_at_period_end,
    subscriptions.created_at,
    subscriptions.started_at,
    subscriptions.current_period_start,
    subscriptions.current_period_end,
    subscriptions.canceled_at,
    subscriptions.ended_at
from {{ ref('stg_stripe__subscriptions') }} as subscriptions
left join {{ ref('int_customer_accounts') }} as customer_accounts
    on subscriptions.customer_id = customer_accounts.customer_id
