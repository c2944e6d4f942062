{#- One row per listed column that has nulls, with how many; the test passes when there are none.
    One test for all of a model's required columns instead of one per column: each test is a dbt node,
    with its own start-up cost on every run. -#}
{% test not_null_columns(model, columns) %}
    {%- for column in columns %}
    select
        '{{ column }}' as column_name,
        count(*) as null_rows
    from {{ model }}
    where {{ column }} is null
    having count(*) > 0
    {{ "union all" if not loop.last }}
    {%- endfor %}
{% endtest %}
