{#- What a generic data test reads. dbt's own: the table, or the rows its `where` config selects.
    Added: when the Dagster job runs on a warehouse built before (HEALTH_DBT_TEST_WINDOW=window), a test
    of a model that rebuilds a window of days reads only the days the run rebuilt, and a test of a raw
    table (a source) or of a staging view over one reads only the rows its last load wrote. The rows
    before were tested by the runs that wrote them, so the daily run's tests cost the same whatever the
    history. A first build, a full refresh and dbt run by hand test every row. -#}
{% macro default__get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- if config.get('where', '') -%}
        {%- do conditions.append('(' ~ config.get('where') ~ ')') -%}
    {%- endif -%}
    {%- if tests_read_the_run() -%}
        {%- set rebuilt = rebuilt_days_of_tested_model() or rows_of_last_load(relation) -%}
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
    {{- return(days_of_the_run(column, days_before)) -}}
{%- endmacro %}

{#- For a test of a source (a raw table) or of a staging view over one, the rows of the table's last
    load: those whose batch is the one raw._sync_cursors records for the table (the landing writes it
    with the rows, in one transaction). A `unique` test reads every row sharing a value with them, so an
    id the load repeated from an earlier load is still caught. None for any other test. -#}
{% macro rows_of_last_load(relation) -%}
    {%- set attached = graph.nodes.get(model.attached_node) if model.attached_node else none -%}
    {%- if attached is none -%}
        {%- set depends_on, batch_column = model.depends_on.nodes, '_batch_id' -%}
    {%- elif attached.resource_type == 'model' and attached.config.materialized == 'view' -%}
        {%- set depends_on, batch_column = attached.depends_on.nodes, 'batch_id' -%}
    {%- else -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set sources = [] -%}
    {%- for node in depends_on if node.startswith('source.') -%}
        {%- do sources.append(node) -%}
    {%- endfor -%}
    {%- if sources | length != 1 -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set source = graph.sources[sources[0]] -%}
    {%- set last_load = batch_column ~ " = (select batch_id from " ~ source.schema ~ "._sync_cursors where table_name = '"
        ~ source.identifier ~ "')" -%}
    {%- set column = (model.test_metadata or {}).get('kwargs', {}).get('column_name') -%}
    {%- if (model.test_metadata or {}).get('name') == 'unique' and column -%}
        {{- return(column ~ " in (select " ~ column ~ " from " ~ relation ~ " where " ~ last_load ~ ")") -}}
    {%- endif -%}
    {{- return(last_load) -}}
{%- endmacro %}

{#- For a singular test: the days the run rebuilt of `column` when the Dagster job runs on a warehouse
    built before (as the generic tests above), else every row. -#}
{% macro tested_days(column) -%}
    {{- days_of_the_run(column) if tests_read_the_run() else '1 = 1' -}}
{%- endmacro %}

{#- Whether the Dagster job runs on a warehouse built before (HEALTH_DBT_TEST_WINDOW=window): then tests
    read what the run wrote. -#}
{% macro tests_read_the_run() -%}
    {{- return(execute and env_var('HEALTH_DBT_TEST_WINDOW', 'all') == 'window') -}}
{%- endmacro %}

{#- `column` within the run's window, starting `days_before` it. -#}
{% macro days_of_the_run(column, days_before=0) -%}
    {{- return(column ~ ' >= ' ~ run_window_start(days_before) ~ ' and ' ~ column ~ ' < ' ~ window_end()) -}}
{%- endmacro %}
