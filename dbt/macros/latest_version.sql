{#- Keep one row per key: the latest version, by the given ordering (most recent first).
    Sources re-deliver objects (api re-pulls, file drops): staging keeps the newest. -#}
{% macro latest_version(relation, key, order_by) -%}
    select * from (
        select
            *,
            row_number() over (partition by {{ key }} order by {{ order_by }}) as _version_rank
        from {{ relation }}
    ) as versions
    where _version_rank = 1
{%- endmacro %}
