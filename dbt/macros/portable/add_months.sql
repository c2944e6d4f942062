{#- The date `months` calendar months after `date_expr`, as a date on every engine. Spark's
    dbt.dateadd('month') wraps the date in assert_not_null and unix-time arithmetic around add_months;
    add_months alone gives the same date. -#}
{% macro add_months(months, date_expr) -%}
    {{- adapter.dispatch('add_months', 'customer_health')(months, date_expr) -}}
{%- endmacro %}

{% macro default__add_months(months, date_expr) -%}
    cast({{ dbt.dateadd('month', months, date_expr) }} as date)
{%- endmacro %}

{% macro spark__add_months(months, date_expr) -%}
    add_months({{ date_expr }}, {{ months }})
{%- endmacro %}
