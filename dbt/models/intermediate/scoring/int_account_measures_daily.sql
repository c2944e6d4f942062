{{ config(**incremental_by_day()) }}

-- Every measure of every active account-day in one row (a column per measure of scoring_measures(),
-- null when the measure has no value that day), with the segment it is compared within and the
-- scorecard that judges it.
with

active_days as (
    select
        account_id,
        as_of_date,
        segment,
        scorecard_id
    from {{ ref('int_account_segments_daily') }}
    where {{ as_of_window('as_of_date') }}
),

{%- for model in scoring_measures_by_model() %}

{{ model }} as (
    select * from {{ ref(model) }}
    where {{ as_of_window('as_of_date') }}
),
{%- endfor %}

final as (
    select
        active_days.account_id,
        active_days.as_of_date,
        active_days.segment,
        active_days.scorecard_id,
        {%- for model, columns in scoring_measures_by_model().items() %}
        {%- set last_model = loop.last %}
        {%- for column in columns %}
        cast({{ model }}.{{ column }} as {{ type_double() }}) as {{ column }}{{ "," if not (last_model and loop.last) }}
        {%- endfor %}
        {%- endfor %}
    from active_days
    {%- for model in scoring_measures_by_model() %}
    left join {{ model }}
        on active_days.account_id = {{ model }}.account_id
        and active_days.as_of_date = {{ model }}.as_of_date
    {%- endfor %}
)

select * from final
