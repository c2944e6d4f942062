-- Every active account-day gets exactly one segment, stage and scorecard: if an analyst removes a
-- seed's catch-all rule, the days it no longer catches are listed here instead of vanishing.
-- A check of int_account_segments_daily in Dagster (the test reads more than one model). A daily run
-- tests the days it built (macros/get_where_subquery.sql).
{{ config(meta={'dagster': {'ref': {'name': 'int_account_segments_daily'}}}) }}
select revenue.account_id, revenue.as_of_date
from {{ ref('int_account_revenue_daily') }} as revenue
left join {{ ref('int_account_segments_daily') }} as segments
    on revenue.account_id = segments.account_id
    and revenue.as_of_date = segments.as_of_date
where revenue.is_active and segments.account_id is null
    and {{ tested_days('revenue.as_of_date') }}
