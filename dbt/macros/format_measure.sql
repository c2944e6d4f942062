{#- A measure's value as CSMs read it: shares as percentages, whole numbers without decimals. -#}
{% macro format_measure(value, unit) -%}
    case
        when {{ value }} is null then 'none'
        when {{ unit }} = 'share' then cast(cast(100 * {{ value }} as decimal(18, 0)) as varchar) || '%'
        when {{ unit }} = 'ratio' then cast(cast({{ value }} as decimal(18, 2)) as varchar)
        when {{ value }} = floor({{ value }}) then cast(cast({{ value }} as bigint) as varchar)
        else cast(cast({{ value }} as decimal(18, 1)) as varchar)
    end
{%- endmacro %}
