{#- The load metadata every raw row carries, under the names staging models publish. -#}
{% macro load_metadata() -%}
        _source as loaded_from,
        _loaded_at as loaded_at,
        _batch_id as batch_id
{%- endmacro %}
