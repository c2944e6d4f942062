{#- The text type the marts' contracts name `varchar` (Spark has no varchar without a length: `string`).
    dbt.type_string() is `text` on PostgreSQL, which an incremental mart cannot take: its table is
    created from the contract (character varying), and on_schema_change=fail stops a run whose new days
    come as text (a `||` expression, md5) as a changed column type. -#}
{% macro type_varchar() -%}
    {{- return(adapter.dispatch('type_varchar', 'customer_health')()) -}}
{%- endmacro %}

{% macro default__type_varchar() -%}
    {{- return('varchar') -}}
{%- endmacro %}

{% macro spark__type_varchar() -%}
    {{- return('string') -}}
{%- endmacro %}
