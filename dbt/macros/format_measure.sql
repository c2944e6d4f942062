{#- A measure's value as CSMs read it: shares as percentages, whole numbers without decimals. The value is
    a double; it is rounded by casting to a decimal (round(double, n) differs between engines). -#}
{% macro format_measure(value, unit) -%}
    case
        when {{ value }} is null then 'none'
        when {{ unit }} = 'share' then cast(cast(100 * {{ value }} as decimal(18, 0)) as {{ dbt.type_string() }}) || '%'
        when {{ unit }} = 'ratio' then cast(cast({{ value }} as decimal(18, 2)) as {{ dbt.type_string() }})
        when {{ value }} = floor({{ value }}) then cast(cast({{ value }} as bigint) as {{ dbt.type_string() }})
        else cast(cast({{ value }} as decimal(18, 1)) as {{ dbt.type_string() }})
    end
{%- endmacro %}
