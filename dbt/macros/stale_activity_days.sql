{#- Events arrive late (an api look-back re-reads the last days, a files drop brings a day's events a
    day after), so int_contact_event_days rebuilds more than the run's days. Which of the days before
    them: only those whose roll-up is stale, not the whole look-back. A day is stale when events of it
    were loaded after it was rolled up (each row keeps `loaded_through`, the latest load of its events),
    when it has events but no rows, or when its rows were weighted otherwise than seeds/event_weights.csv
    (and var('default_event_weight')) say now: the measures always read today's weights.
    Spark overwrites whole days (partitions) and cannot read the table it overwrites: there, and on a
    table built before `loaded_through` existed, the whole look-back is rebuilt. -#}

{#- Whether the days to rebuild can be told from the table's rows (false on a first build or a full
    refresh, on Spark, and on a table without `loaded_through`: the whole look-back is rebuilt). -#}
{% macro knows_stale_activity_days() -%}
    {%- if not execute or not this or not is_incremental() or target.type == 'spark' -%}
        {{- return(false) -}}
    {%- endif -%}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
    {{- return('loaded_through' in columns) -}}
{%- endmacro %}

{#- The weight an event name's rows get now: its weight in the seed, else the default. -#}
{% macro current_event_weight(listed_weight) -%}
    cast(coalesce({{ listed_weight }}, {{ var('default_event_weight') }}) as decimal(18, 4))
{%- endmacro %}

{#- The stale days in [rebuild_from, rebuild_to), one row each (column `activity_date`). -#}
{% macro stale_activity_days(rebuild_from, rebuild_to) -%}
    select activity_date
    from (
        select events.occurred_on as activity_date
        from {{ ref('stg_intercom__events') }} as events
        left join (
            select
                activity_date,
                max(loaded_through) as loaded_through
            from {{ this }}
            where activity_date >= {{ rebuild_from }} and activity_date < {{ rebuild_to }}
            group by activity_date
        ) as rolled_up
            on events.occurred_on = rolled_up.activity_date
        where
            events.account_id is not null
            and events.occurred_on >= {{ rebuild_from }}
            and events.occurred_on < {{ rebuild_to }}
            and (rolled_up.loaded_through is null or events.loaded_at > rolled_up.loaded_through)

        union all

        select rolled_up.activity_date
        from {{ this }} as rolled_up
        left join {{ ref('event_weights') }} as event_weights
            on rolled_up.event_name = lower(event_weights.event_name)
        where
            rolled_up.activity_date >= {{ rebuild_from }}
            and rolled_up.activity_date < {{ rebuild_to }}
            and rolled_up.event_weight <> {{ current_event_weight('event_weights.weight') }}
    ) as stale
    group by activity_date
{%- endmacro %}

{#- The days int_contact_event_days rebuilds, as a condition on `column`: the run's window, and the
    stale days of the look-back before it (all of them where staleness cannot be told). -#}
{% macro rebuilt_activity_days(column, rebuild_from, rebuild_to) -%}
    {{ column }} >= {{ rebuild_from }} and {{ column }} < {{ rebuild_to }}
    {%- if knows_stale_activity_days() %}
        and ({{ column }} >= {{ window_start() }}
            or {{ column }} in ({{ stale_activity_days(rebuild_from, rebuild_to) }}))
    {%- endif %}
{%- endmacro %}
