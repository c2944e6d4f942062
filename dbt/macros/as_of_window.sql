{#- The as-of dates this run builds: the half-open window [min_date, max_date) from the vars.
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
        {%- set min_date = "cast('" ~ var('min_date') ~ "' as date)" -%}
        {%- if days_before -%}
            cast({{ dbt.dateadd('day', -days_before, min_date) }} as date)
        {%- else -%}
            {{ min_date }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- The day after the window (exclusive end). -#}
{% macro window_end() -%}
    cast('{{ var("max_date") }}' as date)
{%- endmacro %}
