{#- Whole seconds from timestamp `first` to `second` (second boundaries crossed, as dbt.datediff counts
    them). Spark's dbt.datediff for seconds goes through assert_not_null; unix_timestamp() truncates to
    the second the same way and passes nulls through. -#}
{% macro seconds_between(first, second) -%}
    {{- adapter.dispatch('seconds_between', 'customer_health')(first, second) -}}
{%- endmacro %}

{% macro default__seconds_between(first, second) -%}
    {{ dbt.datediff(first, second, 'second') }}
{%- endmacro %}

{% macro spark__seconds_between(first, second) -%}
    (unix_timestamp({{ second }}) - unix_timestamp({{ first }}))
{%- endmacro %}
