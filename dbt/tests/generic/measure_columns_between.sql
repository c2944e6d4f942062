{#- Rows where a measure's `<measure><suffix>` column (for every measure of scoring_measures()) lies
    outside [min_value, max_value]; nulls pass. One test for the whole column family of a wide model. -#}
{% test measure_columns_between(model, suffix, min_value, max_value) %}
    select *
    from {{ model }}
    where
        {%- for measure in scoring_measures() %}
        {{ "or " if not loop.first }}{{ measure }}{{ suffix }} < {{ min_value }}
        or {{ measure }}{{ suffix }} > {{ max_value }}
        {%- endfor %}
{% endtest %}
