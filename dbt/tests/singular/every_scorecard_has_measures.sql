-- Every scorecard a rule can choose has measures: otherwise its accounts would get no score.
select scorecards.scorecard_id
from {{ ref('scorecards') }} as scorecards
left join {{ ref('scorecard_measures') }} as scorecard_measures
    on scorecards.scorecard_id = scorecard_measures.scorecard_id
where scorecard_measures.scorecard_id is null
