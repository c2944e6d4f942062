{#- `left` equals `right`, or both are null: a join condition every engine can hash (PostgreSQL does
    not hash `is not distinct from`). `empty` is any value of the columns' type. -#}
{% macro equal_or_both_null(left, right, empty) -%}
    coalesce({{ left }}, {{ empty }}) = coalesce({{ right }}, {{ empty }})
    and ({{ left }} is null) = ({{ right }} is null)
{%- endmacro %}
