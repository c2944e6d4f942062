-- The weights of each scorecard's scored measures (caps aside) add up to 1.
select
    scorecard_id,
    sum(weight) as total_weight
from {{ ref('scorecard_measures') }}
where method <> 'cap'
group by scorecard_id
having abs(sum(weight) - 1) > 0.0001
