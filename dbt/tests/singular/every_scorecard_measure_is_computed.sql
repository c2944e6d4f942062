-- Every measure a scorecard names is one the scoring chain computes (scoring_measures()): a name it
-- does not know would otherwise score as a measure that never has a value.
select
    scorecard_id,
    measure
from {{ ref('scorecard_measures') }}
where measure not in (
    {%- for measure in scoring_measures() %}
    '{{ measure }}'{{ "," if not loop.last }}
    {%- endfor %}
)
