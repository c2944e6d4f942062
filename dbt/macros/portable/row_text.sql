{#- One row of `relation` (aliased `alias` in the query) as text, in DuckDB's spelling of a row cast to
    text: {'column': value, ...}, NULL for a null, in the table's column order. DuckDB casts the row
    itself; PostgreSQL would spell a row (a,b,...) and Spark cannot cast a row to text, so both build the
    same text column by column: the same seeds then give the same text (and fingerprint) everywhere.
    Doubles print as DuckDB prints them (30.0, not PostgreSQL's 30), texts are quoted where DuckDB
    quotes them. -#}
{% macro row_text(alias, relation) -%}
    {{- adapter.dispatch('row_text', 'customer_health')(alias, relation) -}}
{%- endmacro %}

{% macro duckdb__row_text(alias, relation) -%}
    cast({{ alias }} as varchar)
{%- endmacro %}

{% macro default__row_text(alias, relation) -%}
    {%- if not execute -%}
        cast(null as {{ dbt.type_string() }})
    {%- else -%}
        {%- set parts = [] -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
            {%- set value = alias ~ '.' ~ adapter.quote(column.name) -%}
            {%- if column.is_float() -%}
                {#- A whole double prints with ".0" in DuckDB -#}
                {%- set text -%}
                    case
                        when {{ value }} = floor({{ value }})
                            then cast(cast({{ value }} as bigint) as {{ dbt.type_string() }}) || '.0'
                        else cast({{ value }} as {{ dbt.type_string() }})
                    end
                {%- endset -%}
            {%- elif column.is_string() or column.dtype | lower == 'string' -%}
                {#- DuckDB quotes a text that is empty, spells null, has outer spaces or holds one of
                    :,'"{}()[]=\ (chr(39) is the quote, chr(92) the backslash, escaped with a backslash) -#}
                {%- set specials = ["':'", "','", "'{'", "'}'", "'('", "')'", "'['", "']'", "'='", "'\"'", 'chr(39)', 'chr(92)'] -%}
                {%- set text -%}
                    case
                        when {{ value }} = '' or lower({{ value }}) = 'null' or trim({{ value }}) <> {{ value }}
                            {%- for special in specials %}
                            or replace({{ value }}, {{ special }}, '') <> {{ value }}
                            {%- endfor %}
                            then chr(39) || replace(replace({{ value }}, chr(92), chr(92) || chr(92)), chr(39), chr(92) || chr(39)) || chr(39)
                        else {{ value }}
                    end
                {%- endset -%}
            {%- else -%}
                {%- set text = 'cast(' ~ value ~ ' as ' ~ dbt.type_string() ~ ')' -%}
            {%- endif -%}
            {%- do parts.append("'" ~ ("" if loop.first else ", ") ~ "''" ~ column.name ~ "'': ' || coalesce(" ~ text ~ ", 'NULL')") -%}
        {%- endfor -%}
        '{' || {{ parts | join(' || ') }} || '}'
    {%- endif -%}
{%- endmacro %}
