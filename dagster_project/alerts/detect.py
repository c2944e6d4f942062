"""Which account-days start an alert: one SQL query over the daily histories, run in the warehouse.

- ``entered_risk``: the signal is RISK and was something else on the account's
  previous scored day (or the account had none in the last 31 days).
- ``health_drop``: the health score is down ``drop_points`` or more over 7 days
  (``health_score_change_7d``) and was not on the previous day.

Only the first day of each run of the condition alerts: transitions, not
states. The ``alert_id`` is a hash of kind, account and day, so detecting the
same transition again (a re-run, a retry) finds the same alert.
"""

from __future__ import annotations

# Parameters: start date, end date (half open): the days whose transitions are looked for.
NEW_ALERTS_SQL = """
with

bounds as (
    select cast(? as date) as start_date, cast(? as date) as end_date
),

signals as (
    select
        history.as_of_date,
        history.account_id,
        history.signal,
        history.reason,
        lag(history.signal) over (
            partition by history.account_id order by history.as_of_date
        ) as previous_signal
    from marts.customer_signals_history as history
    cross join bounds
    -- Earlier days, for the previous row of the window's first day: the day before, or the last day
    -- the account was scored if a day is missing (a failed run must not make everyone look new)
    where history.as_of_date >= bounds.start_date - interval '{lookback} days'
        and history.as_of_date < bounds.end_date
),

health as (
    select
        history.as_of_date,
        history.account_id,
        history.grade,
        history.health_score,
        history.health_score_change_7d,
        lag(history.health_score_change_7d) over (
            partition by history.account_id order by history.as_of_date
        ) as previous_change_7d
    from marts.customer_health_history as history
    cross join bounds
    where history.as_of_date >= bounds.start_date - interval '{lookback} days'
        and history.as_of_date < bounds.end_date
),

transitions as (
    select
        'entered_risk' as alert_kind,
        as_of_date,
        account_id,
        'entered RISK (was ' || coalesce(previous_signal, 'not scored') || ')' as what_changed,
        reason
    from signals
    where signal = 'RISK' and (previous_signal is null or previous_signal <> 'RISK')

    union all

    select
        'health_drop' as alert_kind,
        as_of_date,
        account_id,
        'health down '
            || cast(cast(round(-health_score_change_7d) as integer) as varchar)
            || ' points in 7 days' as what_changed,
        null as reason
    from health
    where health_score_change_7d <= -{drop_points}
        and (previous_change_7d is null or previous_change_7d > -{drop_points})
)

select
    md5(
        transitions.alert_kind || '|' || transitions.account_id
        || '|' || cast(transitions.as_of_date as varchar)
    ) as alert_id,
    transitions.as_of_date,
    transitions.alert_kind,
    transitions.account_id,
    accounts.account_name,
    accounts.account_owner,
    health.grade,
    cast(health.health_score as double) as health_score,
    signals.signal,
    transitions.what_changed,
    coalesce(transitions.reason, signals.reason) as reason
from transitions
cross join bounds
left join intermediate.int_accounts as accounts
    on transitions.account_id = accounts.account_id
left join health
    on transitions.account_id = health.account_id and transitions.as_of_date = health.as_of_date
left join signals
    on transitions.account_id = signals.account_id and transitions.as_of_date = signals.as_of_date
where transitions.as_of_date >= bounds.start_date
"""


# How far back an account's previous row is looked for; older than that, the account counts as new.
LOOKBACK_DAYS = 31


def new_alerts_sql(drop_points: float) -> str:
    """`NEW_ALERTS_SQL` with the health-drop threshold (points, positive) filled in."""
    if not drop_points > 0:
        raise ValueError(
            f"the health drop that alerts must be a positive number of points, got {drop_points}"
        )
    return NEW_ALERTS_SQL.format(drop_points=float(drop_points), lookback=LOOKBACK_DAYS)
