-- Which account each billing customer belongs to (several customers may share one account).
select
    customer_id,
    account_id,
    is_deleted
from {{ ref('stg_stripe__customers') }}
