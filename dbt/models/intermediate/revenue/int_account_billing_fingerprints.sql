-- depends_on: {{ ref('int_account_revenue_daily') }}
-- depends_on: {{ ref('mrr_daily') }}
-- What each account's MRR history in int_account_revenue_daily (and marts.mrr_daily) was built from: a
-- fingerprint of its item periods, taken after those models were built. The next run rebuilds every day of the accounts
-- whose fingerprint changed (macros/restated_accounts.sql).
{{ item_periods_fingerprints() }}
