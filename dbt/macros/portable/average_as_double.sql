{#- The average of a decimal column, as a double. DuckDB's avg() of a decimal already is one: the exact
    sum divided once, in double. PostgreSQL's avg() of a numeric stays numeric, Spark's rounds to the
    input's scale + 4 (a share of 1/3 would be 0.33333): both divide the exact sum in double instead, so
    every engine rounds the same quotient once. -#}
{% macro average_as_double(expr) -%}
    {{- adapter.dispatch('average_as_double', 'customer_health')(expr) -}}
{%- endmacro %}

{% macro default__average_as_double(expr) -%}
    cast(sum({{ expr }}) as {{ type_double() }}) / count({{ expr }})
{%- endmacro %}

{% macro duckdb__average_as_double(expr) -%}
    avg({{ expr }})
{%- endmacro %}
