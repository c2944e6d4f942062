{#- Rows for which the expression does not hold; the test passes when there are none. -#}
{% test expression_is_true(model, expression) %}
    select * from {{ model }} where not ({{ expression }})
{% endtest %}
