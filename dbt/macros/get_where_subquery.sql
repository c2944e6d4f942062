{#- What a generic data test reads. dbt's own: the table, or the rows its `where` config selects.
    Added: when the Dagster job runs on a warehouse built before (HEALTH_DBT_TEST_WINDOW=window), a test
    of a model that rebuilds a window of days reads only the days the run rebuilt. The days before were
    tested by the runs that built them, so the daily run's tests cost the same whatever the history.
    A first build, a full refresh and dbt run by hand test every row. -#}
{% macro default__get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- if config.get('where', '') -%}
        {%- do conditions.append('(' ~ config.get('where') ~ ')') -%}
    {%- endif -%}
    {%- if execute and env_var('HEALTH_DBT_TEST_WINDOW', 'all') == 'window' -%}
        {%- set rebuilt = rebuilt_days_of_tested_model() -%}
        {%- if rebuilt -%}
            {%- do conditions.append(rebuilt) -%}
        {%- endif -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ conditions | join(' and ') ~ ') dbt_subquery') -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}

{#- The days the run rebuilt of the model the test is attached to, as a condition; none when the model
    is rebuilt whole. An `as_of_window` model rebuilds the window's as-of dates (on Spark the same models
    are insert_overwrite partitioned by as_of_date: macros/portable/incremental_by_day.sql); a model may
    name another column and how many days before the window it rebuilds in `meta.rebuilt_window`. -#}
{% macro rebuilt_days_of_tested_model() -%}
    {%- set attached = graph.nodes.get(model.attached_node) if model.attached_node else none -%}
    {%- if attached is none -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set declared = attached.config.meta.get('rebuilt_window') -%}
    {%- if declared -%}
        {%- set column, days_before = declared.column, declared.days_before | int -%}
    {%- elif attached.config.incremental_strategy == 'as_of_window'
        or (attached.config.incremental_strategy == 'insert_overwrite'
            and attached.config.partition_by == ['as_of_date']) -%}
        {%- set column, days_before = 'as_of_date', 0 -%}
    {%- else -%}
        {{- return(none) -}}
    {%- endif -%}
    {{- return(column ~ ' >= ' ~ run_window_start(days_before) ~ ' and ' ~ column ~ ' < ' ~ window_end()) -}}
{%- endmacro %}
