{#- The config of an incremental model that rebuilds whole days, keyed by the date `column`: pass it to
    config() as `{{ config(**incremental_by_day()) }}`, so that one model file suits every engine.
    - DuckDB, PostgreSQL: `strategy` (default the project's `as_of_window`: delete the window's days,
      insert them again), with `pre_hook` when the model deletes its days itself.
    - Spark (plain parquet tables: no DELETE, no MERGE): insert_overwrite, partitioned by `column`.
      Spark then replaces exactly the partitions (days) the run selects and keeps the others (dbt-spark
      sets partitionOverwriteMode=dynamic); without partition_by it would replace the whole table.
      A day the run selects no row for keeps its old rows, which the other engines would delete: the
      models select every day of their window, so this does not happen with complete data. -#}
{% macro incremental_by_day(column='as_of_date', strategy='as_of_window', pre_hook=none) -%}
    {{- return(adapter.dispatch('incremental_by_day', 'customer_health')(column, strategy, pre_hook)) -}}
{%- endmacro %}

{% macro default__incremental_by_day(column, strategy, pre_hook) -%}
    {%- set settings = {'materialized': 'incremental', 'incremental_strategy': strategy} -%}
    {%- if pre_hook -%}
        {%- do settings.update({'pre_hook': pre_hook}) -%}
    {%- endif -%}
    {{- return(settings) -}}
{%- endmacro %}

{% macro spark__incremental_by_day(column, strategy, pre_hook) -%}
    {{- return({
        'materialized': 'incremental',
        'incremental_strategy': 'insert_overwrite',
        'partition_by': [column],
        'file_format': 'parquet',
    }) -}}
{%- endmacro %}
