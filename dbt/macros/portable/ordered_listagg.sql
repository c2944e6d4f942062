{#- Text values joined with `delimiter`, in a fixed order, so that a hash of the result is stable.
    dbt.listagg ignores its order_by on Spark (collect_list has no order): there the values are sorted
    themselves, which equals `order_by` when the value starts with the ordering columns (as
    `seed_name || ':' || row_text` does, no seed name being a prefix of another). PostgreSQL sorts
    text by the database's collation (en_US puts 'a_b' after 'ab'): its order is made binary, as
    DuckDB's and Spark's is. -#}
{% macro ordered_listagg(measure, delimiter, order_by) -%}
    {{- adapter.dispatch('ordered_listagg', 'customer_health')(measure, delimiter, order_by) -}}
{%- endmacro %}

{% macro default__ordered_listagg(measure, delimiter, order_by) -%}
    {{ dbt.listagg(measure, delimiter, 'order by ' ~ order_by) }}
{%- endmacro %}

{% macro postgres__ordered_listagg(measure, delimiter, order_by) -%}
    {%- set binary_order = [] -%}
    {%- for column in order_by.split(',') -%}
        {%- do binary_order.append(column | trim ~ ' collate "C"') -%}
    {%- endfor -%}
    {{ dbt.listagg(measure, delimiter, 'order by ' ~ binary_order | join(', ')) }}
{%- endmacro %}

{% macro spark__ordered_listagg(measure, delimiter, order_by) -%}
    array_join(array_sort(collect_list({{ measure }})), {{ delimiter }})
{%- endmacro %}
