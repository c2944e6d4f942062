{#- The as-of dates this run builds: the half-open window [min_date, max_date) from the vars.
    Half open so that consecutive windows never build a boundary day twice. -#}
{% macro as_of_window(column) -%}
    {{ column }} >= cast('{{ var("min_date") }}' as date)
    and {{ column }} < cast('{{ var("max_date") }}' as date)
{%- endmacro %}
