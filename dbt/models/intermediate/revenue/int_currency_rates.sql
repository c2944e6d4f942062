-- One row per currency: the rate into the reporting currency (var `reporting_currency`) and its minor units.
with

rates as (
    select * from {{ ref('currency_rates') }}
),

-- The seed's own rate of the reporting currency: 1 when it is the seed's base
reporting_currency as (
    select units_of_reporting_currency_per_unit as base_rate
    from rates
    where currency = lower('{{ var("reporting_currency") }}')
),

rebased as (
    select
        rates.currency,
        lower('{{ var("reporting_currency") }}') as reporting_currency,
        -- in double, as DuckDB divides decimals: the same rate on every engine
        cast(rates.units_of_reporting_currency_per_unit as {{ type_double() }})
        / cast(reporting_currency.base_rate as {{ type_double() }}) as units_of_reporting_currency_per_unit,
        coalesce(rates.minor_units_per_unit, 100) as minor_units_per_unit
    from rates
    left join reporting_currency
        on 1 = 1
)

select * from rebased
