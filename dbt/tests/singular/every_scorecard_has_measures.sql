-- Every scorecard a rule can choose has measures: otherwise its accounts would get no score.
-- A check of scorecards in Dagster (the test reads more than one model).
{{ config(meta={'dagster': {'ref': {'name': 'scorecards'}}}) }}
select scorecards.scorecard_id
from {{ ref('scorecards') }} as scorecards
left join {{ ref('scorecard_measures') }} as scorecard_measures
    on scorecards.scorecard_id = scorecard_measures.scorecard_id
where scorecard_measures.scorecard_id is null
