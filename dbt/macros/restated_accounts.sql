{#- Late billing facts restate an account's MRR history: an annual plan's seats changed mid-period are
    dated only when the renewal invoice brings its proration lines. int_account_revenue_daily rebuilds
    the run's days for every account, and every day of the accounts whose item periods changed since it
    was last built. int_account_billing_fingerprints keeps what each account's history was built from;
    it is built after the revenue model, so while that one builds it still holds the last run's.
    Spark overwrites whole days (partitions), not an account's rows: there the days before the window
    keep what they were built with. -#}

{#- Each account's item periods as one fingerprint (exact values, in a fixed order: each period's text
    starts with its dates, so sorting the texts orders them by date on every engine). -#}
{% macro item_periods_fingerprints() -%}
    {%- set text = dbt.type_string() -%}
    select
        account_id,
        {{ dbt.hash(ordered_listagg('period_text', "';'", 'period_text')) }} as fingerprint
    from (
        select
            account_id,
            {{ dbt.concat([
                "cast(valid_from as " ~ text ~ ")", "'|'",
                "cast(valid_to as " ~ text ~ ")", "'|'",
                "cast(mrr as " ~ text ~ ")", "'|'",
                "coalesce(plan_name, '')", "'|'",
                "cast(coalesce(quantity, -1) as " ~ text ~ ")", "'|'",
                "case when is_trial then 't' else 'f' end", "'|'",
                "coalesce(cast(renews_on as " ~ text ~ "), '')",
            ]) }} as period_text
        from {{ ref('int_subscription_item_periods') }}
        where account_id is not null
    ) as periods
    group by account_id
{%- endmacro %}

{#- The fingerprints the revenue model was last built from, when there are (none on a first build, on
    Spark, or before the fingerprints were first built). -#}
{% macro built_fingerprints() -%}
    {%- if not execute or not this or not is_incremental() or target.type == 'spark' -%}
        {{ return(none) }}
    {%- endif -%}
    {#- Looked up in the graph, not ref'd: the fingerprints are built after the models that read them. -#}
    {%- set node = graph.nodes.values() | selectattr('name', 'equalto', 'int_account_billing_fingerprints') | first -%}
    {{ return(adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias)) }}
{%- endmacro %}

{#- The accounts whose item periods changed since `before` was taken (appeared, changed or gone). -#}
{% macro restated_accounts(before) -%}
    select coalesce(now_built.account_id, before_built.account_id) as account_id
    from ({{ item_periods_fingerprints() }}) as now_built
    full outer join {{ before }} as before_built
        on now_built.account_id = before_built.account_id
    where coalesce(now_built.fingerprint, '') <> coalesce(before_built.fingerprint, '')
{%- endmacro %}

{#- The days a run (re)builds of a model keyed by account and day (in `column`): the window's, and every
    day of the accounts restated since the model was last built. -#}
{% macro window_or_restated_accounts(column='as_of_date') -%}
    {%- set before = built_fingerprints() -%}
    ({{ as_of_window(column) }}
    {%- if before is not none %}
        or account_id in ({{ restated_accounts(before) }})
    {%- endif %})
{%- endmacro %}

{#- Pre-hook: delete the days outside the window of the restated accounts (the window's days are
    replaced by the incremental strategy), so that the model inserts them again. The model's days are
    in `column`. -#}
{% macro delete_restated_days(column='as_of_date') -%}
    {%- set before = built_fingerprints() -%}
    {%- if before is not none -%}
        delete from {{ this }}
        where not ({{ as_of_window(column) }})
            and account_id in ({{ restated_accounts(before) }})
    {%- endif -%}
{%- endmacro %}
