{#- Written between a CTE's name and its body (`scores as {{ materialized_cte() }} (...)`): compute the
    CTE once. PostgreSQL otherwise inlines a CTE used once and copies its expressions into every place
    that names its columns: in a chain of wide CTEs that name each other's columns many times (the
    health score's drivers) the copies multiply and a one-second query runs for minutes. DuckDB and Spark
    share common subexpressions themselves: nothing to write there. -#}
{% macro materialized_cte() -%}
    {{- adapter.dispatch('materialized_cte', 'customer_health')() -}}
{%- endmacro %}

{% macro default__materialized_cte() -%}
{%- endmacro %}

{% macro postgres__materialized_cte() -%}
    materialized
{%- endmacro %}
