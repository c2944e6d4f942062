{#- The as-of dates this run builds: the half-open window [min_date, max_date).
    Half open so that consecutive windows never build a boundary day twice. -#}
{% macro as_of_window(column) -%}
    {{ column }} >= {{ window_start() }}
    and {{ column }} < {{ window_end() }}
{%- endmacro %}

{#- The window's first day, or the day `days_before` it: where trailing look-backs must start reading.
    The first build of a model (and a full refresh) has no earlier days to keep, so it starts at the
    beginning of time: the first run builds the whole history up to max_date; later runs add their days. -#}
{% macro window_start(days_before=0) -%}
    {#- A unit test has no relation (`this`): it builds its given rows like a first build. -#}
    {%- if not this or not is_incremental() -%}
        cast('1900-01-01' as date)
    {%- else -%}
        {{ run_window_start(days_before) }}
    {%- endif -%}
{%- endmacro %}

{#- The run's first day (min_date), or the day `days_before` it, whether or not the model being
    compiled is incremental (data tests use it too). -#}
{% macro run_window_start(days_before=0) -%}
    {%- set min_date = "cast('" ~ window_bound('min_date') ~ "' as date)" -%}
    {%- if days_before -%}
        {{ add_days(-days_before, min_date) }}
    {%- else -%}
        {{ min_date }}
    {%- endif -%}
{%- endmacro %}

{#- The day after the window (exclusive end). -#}
{% macro window_end() -%}
    cast('{{ window_bound("max_date") }}' as date)
{%- endmacro %}

{#- A bound of the window: HEALTH_DBT_MIN_DATE / HEALTH_DBT_MAX_DATE when set (the Dagster job sets
    them), else the var (`dbt build --vars '{min_date: ..., max_date: ...}'` by hand). The environment is
    read only when a model runs, never while dbt parses: a window passed as --vars changes every day and
    would make dbt parse the whole project again on every run. -#}
{% macro window_bound(name) -%}
    {%- set value = var(name) -%}
    {%- if execute -%}
        {%- set value = env_var('HEALTH_DBT_' ~ (name | upper), value) -%}
    {%- endif -%}
    {{- return(value) -}}
{%- endmacro %}
