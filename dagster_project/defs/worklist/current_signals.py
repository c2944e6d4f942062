"""Today's signals, with the day each account's current run of its signal began (``signal_since``).

The run of a signal goes back to the day after it last differed, which may be a year ago: found in the
history, that reads every day of it. Yesterday's table already knows each account's run, so today's
follows from it: the same signal as yesterday carries yesterday's ``signal_since``, another starts
today. Only the accounts that yesterday's table cannot answer for (not active yesterday) are looked up
in the history. Yesterday's table is trusted only when it holds yesterday and no history day before
today was rewritten since it was written (the log of rewritten days says so); otherwise every account
is looked up in the history, as on a first build or after a backfill.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from dagster_project.defs.worklist.tables import CUSTOMER_SIGNALS, CUSTOMER_SIGNALS_HISTORY
from dagster_project.warehouse.resource import Query, Warehouse
from dagster_project.warehouse.rewritten_days import LOG_TABLE

# Without a table to carry: none, with the same columns (every account is then looked up).
NOTHING_CARRIED = """(
    select
        cast(null as varchar) as account_id,
        cast(null as varchar) as signal,
        cast(null as date) as signal_since,
        cast(null as date) as as_of_date
    where false
)"""

# Parameters: today, yesterday, yesterday again (the carried table's day); {carried} is the table of
# yesterday's signals, or NOTHING_CARRIED.
CURRENT_SIGNALS_SQL = f"""
with

-- Each reference reads the history table itself: a CTE read four times is materialised whole first,
-- which reads every day of every column (36M rows on large) before the day's filter applies
latest as (
    select * from {CUSTOMER_SIGNALS_HISTORY.name}
    where as_of_date = ?
),

previous as (
    select account_id, signal
    from {CUSTOMER_SIGNALS_HISTORY.name}
    where as_of_date = ?
),

carried as (
    select account_id, signal, signal_since
    from {{carried}} as yesterday_signals
    where as_of_date = ?
),

-- Accounts whose run follows from yesterday: a signal that changed starts today; one that held
-- carries yesterday's start
followed as (
    select
        latest.account_id,
        case when previous.signal <> latest.signal then latest.as_of_date else carried.signal_since end
            as signal_since
    from latest
    inner join previous
        on latest.account_id = previous.account_id
    left join carried
        on latest.account_id = carried.account_id
        and previous.signal = carried.signal
    where previous.signal <> latest.signal or carried.account_id is not null
),

looked_up as (
    select latest.account_id, latest.signal, latest.as_of_date
    from latest
    left join followed
        on latest.account_id = followed.account_id
    where followed.account_id is null
),

-- Each looked-up account's history in one pass: the last day its signal differed, and its first day
looked_up_history as (
    select
        history.account_id,
        max(
            case
                when history.as_of_date < looked_up.as_of_date and history.signal <> looked_up.signal
                    then history.as_of_date
            end
        ) as last_different_on,
        min(history.as_of_date) as first_seen_on
    from {CUSTOMER_SIGNALS_HISTORY.name} as history
    inner join looked_up on history.account_id = looked_up.account_id
    group by history.account_id
)

select
    latest.*,
    accounts.account_name,
    accounts.account_owner,
    previous.signal as previous_signal,
    cast(
        coalesce(
            followed.signal_since,
            looked_up_history.last_different_on + interval '1 day',
            looked_up_history.first_seen_on
        ) as date
    ) as signal_since
from latest
left join intermediate.int_accounts as accounts
    on latest.account_id = accounts.account_id
left join previous
    on latest.account_id = previous.account_id
left join followed
    on latest.account_id = followed.account_id
left join looked_up_history
    on latest.account_id = looked_up_history.account_id
"""


def current_signals(warehouse: Warehouse) -> Query:
    """The query of today's signals (the history's latest day), carrying yesterday's table when it can."""
    today = pd.Timestamp(
        warehouse.scalar(f"select max(as_of_date) from {CUSTOMER_SIGNALS_HISTORY.name}")
    ).date()
    yesterday = today - timedelta(days=1)
    carried = CUSTOMER_SIGNALS.name if carries_yesterday(warehouse, today) else NOTHING_CARRIED
    return Query(CURRENT_SIGNALS_SQL.replace("{carried}", carried), [today, yesterday, yesterday])


def carries_yesterday(warehouse: Warehouse, today: date) -> bool:
    """Whether the current table is yesterday's and the history's days before today are as they were
    when it was written (only today's were rewritten since, by the log)."""
    if not warehouse.columns(CUSTOMER_SIGNALS.name) or not warehouse.columns(LOG_TABLE):
        return False
    days = warehouse.query(f"select distinct as_of_date from {CUSTOMER_SIGNALS.name}")["as_of_date"]
    if len(days) != 1 or pd.Timestamp(days.iloc[0]).date() != today - timedelta(days=1):
        return False
    with warehouse.session(read_only=True) as session:
        written = session.fetchall(
            f"select max(position) from {LOG_TABLE} where table_name = ?", [CUSTOMER_SIGNALS.name.lower()]
        )[0][0]
        if written is None:
            return False
        since = session.fetchall(
            f"select first_day from {LOG_TABLE} where position > ? and table_name = ?",
            [written, CUSTOMER_SIGNALS_HISTORY.name.lower()],
        )
    return all(first_day is not None and first_day >= today for (first_day,) in since)
