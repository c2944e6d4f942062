{#- The date `days` days after `date_expr` (before it when negative), as a date on every engine.
    dbt.dateadd returns a timestamp on DuckDB and PostgreSQL (hence the cast), and on Spark wraps its
    argument in assert_not_null and unix-time arithmetic: a null date fails the query. Spark's own
    date_add(date, days) is null-safe and already returns a date. -#}
{% macro add_days(days, date_expr) -%}
    {{- adapter.dispatch('add_days', 'customer_health')(days, date_expr) -}}
{%- endmacro %}

{% macro default__add_days(days, date_expr) -%}
    cast({{ dbt.dateadd('day', days, date_expr) }} as date)
{%- endmacro %}

{% macro spark__add_days(days, date_expr) -%}
    date_add({{ date_expr }}, {{ days }})
{%- endmacro %}
