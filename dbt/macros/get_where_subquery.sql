{#- What a generic data test reads. dbt's own: the table, or the rows its `where` config selects.
    Added: when the Dagster job runs on a warehouse built before (HEALTH_DBT_TEST_WINDOW=window), a test
    of a model that rebuilds an as-of window reads only the days the run rebuilt. The days before were
    tested by the runs that built them, so the daily run's tests cost the same whatever the history.
    A first build, a full refresh and dbt run by hand test every row. -#}
{% macro default__get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- if config.get('where', '') -%}
        {%- do conditions.append('(' ~ config.get('where') ~ ')') -%}
    {%- endif -%}
    {%- if execute and env_var('HEALTH_DBT_TEST_WINDOW', 'all') == 'window' and tests_a_window_model() -%}
        {%- do conditions.append(as_of_window_of_run('as_of_date')) -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ conditions | join(' and ') ~ ') dbt_subquery') -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}

{#- Whether the test being compiled is attached to a model that rebuilds an as-of window. -#}
{% macro tests_a_window_model() -%}
    {%- set attached = graph.nodes.get(model.attached_node) if model.attached_node else none -%}
    {{- return(attached is not none and attached.config.incremental_strategy == 'as_of_window') -}}
{%- endmacro %}
