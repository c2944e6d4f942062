{#- Rows for which the expression does not hold; the test passes when there are none.
    Works on a model or on a column (the column is then just where the test is listed). -#}
{% test expression_is_true(model, expression, column_name=none) %}
    select * from {{ model }} where not ({{ expression }})
{% endtest %}
