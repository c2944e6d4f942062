{#- The 8-byte floating point type. PostgreSQL spells it `double precision` (a bare `double` is an
    error there), DuckDB and Spark `double`; dbt.type_float() is no help: it is 4 bytes on DuckDB. -#}
{% macro type_double() -%}
    {{- return(adapter.dispatch('type_double', 'customer_health')()) -}}
{%- endmacro %}

{% macro default__type_double() -%}
    {{- return('double') -}}
{%- endmacro %}

{% macro postgres__type_double() -%}
    {{- return('double precision') -}}
{%- endmacro %}
