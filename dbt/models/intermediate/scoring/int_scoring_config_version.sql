-- A fingerprint of the scoring configuration (every scoring seed's rows), so each score says which
-- configuration produced it: a change to any weight, band, rule or label gives a new version.
with

config_rows as (
    {%- set seeds = ['segments', 'lifecycle_stages', 'scorecards', 'scorecard_measures', 'grade_scale',
                     'measure_labels', 'event_weights', 'plan_key_features', 'ticket_priority_weights'] %}
    {%- for seed in seeds %}
    select '{{ seed }}' as seed_name, {{ row_text('seed_rows', ref(seed)) }} as row_text
    from {{ ref(seed) }} as seed_rows
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
)

select
    substr(md5({{ ordered_listagg("seed_name || ':' || row_text", "'|'", 'seed_name, row_text') }}), 1, 12)
        as config_version,
    count(*) as config_rows
from config_rows
