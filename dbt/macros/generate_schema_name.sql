{#- Use the folder's schema as given (staging, marts), not dbt's default "<target>_<custom>"
    prefix: BI tools and the Python assets read fixed schema names. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
