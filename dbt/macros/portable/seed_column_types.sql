{#- Seed column types are written once, in seeds/*.yml `column_types`, with DuckDB's names (`varchar`,
    `double`). Two of them do not exist elsewhere: PostgreSQL has no `double` (it is `double precision`)
    and Spark no `varchar` without a length (it is `string`). The seed macros of those two engines get
    the types translated, then dbt's own implementation creates and loads the table as usual. -#}

{#- A type name as this engine spells it; unknown names pass through unchanged. -#}
{% macro portable_type_name(data_type) -%}
    {{- return(adapter.dispatch('portable_type_name', 'customer_health')(data_type)) -}}
{%- endmacro %}

{% macro default__portable_type_name(data_type) -%}
    {{- return(data_type) -}}
{%- endmacro %}

{% macro postgres__portable_type_name(data_type) -%}
    {{- return('double precision' if data_type | trim | lower == 'double' else data_type) -}}
{%- endmacro %}

{% macro spark__portable_type_name(data_type) -%}
    {{- return('string' if data_type | trim | lower == 'varchar' else data_type) -}}
{%- endmacro %}

{#- The seed's column_types with each type in this engine's spelling, set on the seed being built. -#}
{% macro translate_seed_column_types(model) -%}
    {%- set translated = {} -%}
    {%- for column, data_type in model['config'].get('column_types', {}).items() -%}
        {%- do translated.update({column: portable_type_name(data_type)}) -%}
    {%- endfor -%}
    {%- do model['config'].update({'column_types': translated}) -%}
{%- endmacro %}

{% macro postgres__create_csv_table(model, agate_table) -%}
    {%- do translate_seed_column_types(model) -%}
    {{- return(dbt.default__create_csv_table(model, agate_table)) -}}
{%- endmacro %}

{% macro spark__create_csv_table(model, agate_table) -%}
    {%- do translate_seed_column_types(model) -%}
    {{- return(dbt.spark__create_csv_table(model, agate_table)) -}}
{%- endmacro %}

{#- Spark: load the rows with their values written as SQL literals. dbt-spark's own loader, with the
    `session` method, pastes each value between quotes unescaped (a description with an apostrophe
    breaks the statement) and sends a null as the text 'None'. Each value is cast to its column type,
    translated as above (a seed whose table exists is truncated and loaded without being created). -#}
{% macro spark__load_csv_rows(model, agate_table) -%}
    {%- do translate_seed_column_types(model) -%}
    {%- set column_types = model['config'].get('column_types', {}) -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for value in row -%}
                    {%- set column_name = agate_table.column_names[loop.index0] -%}
                    {%- set data_type = column_types.get(column_name, adapter.convert_type(agate_table, loop.index0)) -%}
                    cast({{ spark_seed_literal(value) }} as {{ data_type }}){{ ", " if not loop.last }}
                {%- endfor -%}){{ "," if not loop.last }}
            {% endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.first -%}
            {%- do statements.append(sql) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(statements[0] if statements else '') -}}
{%- endmacro %}

{#- A seed value as a Spark SQL literal: null, a number or boolean as written, else a quoted string with
    backslashes and quotes escaped (dates and times are cast from their text). -#}
{% macro spark_seed_literal(value) -%}
    {%- if value is none -%}
        null
    {%- elif value is boolean -%}
        {{ 'true' if value else 'false' }}
    {%- elif value is number -%}
        {{ value }}
    {%- else -%}
        '{{ (value | string).replace('\\', '\\\\').replace("'", "\\'") }}'
    {%- endif -%}
{%- endmacro %}
