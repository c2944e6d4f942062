{{ config(**incremental_by_day()) }}

{%- set ranked_measures = measures_scored_by_percentile(ref('scorecard_measures')) %}

-- Each account's measures relative to comparable accounts: beside each measure's value, the account's
-- percentile within its segment on the day, for the measures that a scorecard scores by percentile.
with

measures as (
    select * from {{ ref('int_account_measures_daily') }}
    where {{ as_of_window('as_of_date') }}
),

-- One sort per ranked measure of each segment's day: the account's rank among the accounts with a value
-- (missing values sort last, after them) and how many have one
ranked as (
    select
        measures.*
        {%- for measure in ranked_measures %},
        rank() over (partition by segment, as_of_date order by {{ measure }} nulls last) as {{ measure }}_rank,
        count({{ measure }}) over (partition by segment, as_of_date) as {{ measure }}_accounts
        {%- endfor %}
    from measures
),

final as (
    select
        account_id,
        as_of_date,
        segment,
        scorecard_id,
        -- Each percentile: the share of the segment's other accounts with a value that have a lower one
        -- (percent_rank among them); a segment of one has nobody to compare with: it sits in the middle
        {%- for measure in scoring_measures() %}
        {{ measure }},
        {%- if measure in ranked_measures %}
        case
            when {{ measure }} is null then null
            when {{ measure }}_accounts <= 1 then 0.5
            else ({{ measure }}_rank - 1) / cast({{ measure }}_accounts - 1 as {{ type_double() }})
        end as {{ measure }}_percentile
        {%- else %}
        cast(null as {{ type_double() }}) as {{ measure }}_percentile
        {%- endif %}
        {{- "," if not loop.last }}
        {%- endfor %}
    from ranked
)

select * from final
