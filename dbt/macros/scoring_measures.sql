{#- Every measure that scorecards can use, by the daily model that computes it. The scoring chain
    carries one column per measure, named as here: a new measure is one more name in this list (and a
    label in seeds/measure_labels.csv), and every scoring model gains its columns. -#}
{% macro scoring_measures_by_model() -%}
    {{- return({
        'int_account_engagement_daily': [
            'weighted_events_30d', 'events_30d', 'active_contacts_7d', 'active_contacts_30d', 'engagement_trend',
        ],
        'int_account_adoption_daily': ['feature_breadth', 'seat_depth'],
        'int_account_support_daily': [
            'tickets_90d', 'weighted_tickets_90d', 'open_urgent_tickets', 'open_high_tickets',
            'oldest_open_urgent_ticket_days', 'median_hours_to_close_90d', 'csat_average_90d', 'nps_latest',
        ],
        'int_account_relationship_daily': ['days_since_two_way_conversation', 'outreach_answer_rate_90d'],
        'int_account_revenue_daily': [
            'mrr', 'mrr_change_90d', 'failed_invoices_90d', 'open_past_due_invoices', 'days_past_due',
            'tenure_days', 'days_to_renewal',
        ],
    }) -}}
{%- endmacro %}

{#- The measures' names, in the order of scoring_measures_by_model. -#}
{% macro scoring_measures() -%}
    {%- set measures = [] -%}
    {%- for columns in scoring_measures_by_model().values() -%}
        {%- do measures.extend(columns) -%}
    {%- endfor -%}
    {{- return(measures) -}}
{%- endmacro %}

{#- The scorecard seed turned into one row per scorecard, with each measure's settings as columns
    (`<measure>_weight`, `<measure>_method`, ...; null where the scorecard does not use the measure):
    the scoring models then judge an account-day in one row, without a row per measure. -#}
{% macro scorecard_settings_by_measure(scorecard_measures) -%}
    {%- set settings = ['category', 'weight', 'direction', 'method', 'band_average', 'band_good',
                        'cap_threshold', 'cap_score'] -%}
    select
        scorecard_id,
        {%- for measure in scoring_measures() %}
        {%- set last_measure = loop.last %}
        {%- for setting in settings %}
        max(case when measure = '{{ measure }}' then {{ setting }} end) as {{ measure }}_{{ setting }}
        {{- "," if not (last_measure and loop.last) }}
        {%- endfor %}
        {%- endfor %}
    from {{ scorecard_measures }}
    group by scorecard_id
{%- endmacro %}

{#- The measures that some scorecard scores by percentile, in the order of scoring_measures(). Ranking
    costs a sort of every account-day per measure, so only these are ranked. While dbt parses, and in
    unit tests (which give their own seed rows, not the warehouse's), every measure. -#}
{% macro measures_scored_by_percentile(scorecard_measures) -%}
    {%- if not execute or not this -%}
        {{- return(scoring_measures()) -}}
    {%- endif -%}
    {%- set scored = run_query(
        "select distinct measure from " ~ scorecard_measures ~ " where method = 'percentile'"
    ).columns[0].values() -%}
    {{- return(scoring_measures() | select('in', scored) | list) -}}
{%- endmacro %}
