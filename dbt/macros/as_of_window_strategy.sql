{#- Incremental strategy `as_of_window`: replace the days of the run's [min_date, max_date) window.
    Deleting by a date range is cheap, needs no unique key, and makes re-running a window give
    exactly the rows it gave before: no duplicates, nothing left over from a previous run.
    Use with models whose rows are keyed by `as_of_date` and that select only the window. -#}
{% macro get_incremental_as_of_window_sql(arg_dict) %}
    {%- set columns = get_quoted_csv(arg_dict["dest_columns"] | map(attribute="name")) -%}
    delete from {{ arg_dict["target_relation"] }}
    where {{ as_of_window('as_of_date') }};

    insert into {{ arg_dict["target_relation"] }} ({{ columns }})
    select {{ columns }} from {{ arg_dict["temp_relation"] }}
{% endmacro %}
