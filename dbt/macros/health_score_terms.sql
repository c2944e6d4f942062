{#- The terms of int_health_scores_daily, which works on one row per account-day with a column per
    measure (`points.<measure>_points`, `scorecards.<measure>_weight`, `<measure>_cost`, ...). -#}

{#- A measure's weight when it has points (it counts in the denominator), else 0; in decimals. -#}
{% macro present_weight(measure) -%}
    case
        when points.{{ measure }}_points is not null then cast(scorecards.{{ measure }}_weight as decimal(18, 8))
        else 0
    end
{%- endmacro %}

{#- A measure's weighted points (0 without points); in decimals. -#}
{% macro weighted_points(measure) -%}
    coalesce(cast(scorecards.{{ measure }}_weight * points.{{ measure }}_points as decimal(18, 8)), 0)
{%- endmacro %}

{#- `other` cost more than `measure`, or as much with a label listed earlier. -#}
{% macro driver_costs_more(other, measure) -%}
    ({{ other }}_cost > {{ measure }}_cost
    or ({{ other }}_cost = {{ measure }}_cost and {{ other }}_label_order < {{ measure }}_label_order))
{%- endmacro %}

{#- The measure's cap is the one that sets the score: its condition holds, no other cap is lower, and the
    score without caps is higher. A cap that holds but does not bind changes nothing, so it is not named. -#}
{% macro cap_binds(measure) -%}
    ({{ measure }}_is_cap_holding
    and {{ measure }}_cap_score <= cap_score
    and cap_score < coalesce(weighted_score, 100))
{%- endmacro %}

{#- A measure as a driver, in words: "label: value (segment median m)", or the cap it sets. -#}
{% macro driver_text(measure) -%}
    coalesce({{ measure }}_label, '{{ measure }}') || ': '
    || {{ format_measure(measure, measure ~ '_unit') }}
    || case
        when {{ cap_binds(measure) }}
            then ' (caps the score at ' || cast(cast({{ measure }}_cap_score as bigint) as {{ dbt.type_string() }}) || ')'
        else ' (segment median ' || {{ format_measure(measure ~ '_median', measure ~ '_unit') }} || ')'
    end
{%- endmacro %}

{#- The driver in `place` (0 for the costliest): the text of the measure placed there. -#}
{% macro driver_at(measures, place) -%}
    case
        {%- for measure in measures %}
        when {{ measure }}_place = {{ place }} then {{ driver_text(measure) }}
        {%- endfor %}
    end
{%- endmacro %}
