{#- A post-hook of every model (dbt_project.yml): refresh the planner's statistics of the table just
    built. PostgreSQL has none for a table created a moment ago until autovacuum gets to it, and plans
    the next model's joins as if its inputs held a row or two: nested loops that took minutes instead of
    a second. DuckDB and Spark plan from the data itself: nothing to do (an empty hook is skipped). -#}
{% macro refresh_statistics() -%}
    {{- adapter.dispatch('refresh_statistics', 'customer_health')() -}}
{%- endmacro %}

{% macro default__refresh_statistics() -%}
{%- endmacro %}

{% macro postgres__refresh_statistics() -%}
    {%- if config.get('materialized') in ['table', 'incremental'] -%}
        analyze {{ this }}
    {%- endif -%}
{%- endmacro %}
