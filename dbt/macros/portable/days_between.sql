{#- Whole days from `first` to `second` (negative when `second` is earlier); null when either is null.
    dbt.datediff on Spark fails the query on a null (assert_not_null), and several measures are null on
    purpose (no renewal date, no two-way conversation yet): Spark's datediff(end, start) is null-safe. -#}
{% macro days_between(first, second) -%}
    {{- adapter.dispatch('days_between', 'customer_health')(first, second) -}}
{%- endmacro %}

{% macro default__days_between(first, second) -%}
    {{ dbt.datediff(first, second, 'day') }}
{%- endmacro %}

{% macro spark__days_between(first, second) -%}
    datediff(cast({{ second }} as date), cast({{ first }} as date))
{%- endmacro %}
