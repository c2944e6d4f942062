"""The account-level simulation behind every demo table: who the accounts are, how healthy, when they leave.

Model and assumptions:
- Accounts. ``accounts`` billed accounts plus about 1% Intercom-only orphans
  (trial sign-ups never billed). A stock of accounts exists before the window
  (created up to three years earlier; only survivors are seen) and the rest sign
  up uniformly across it, so every date has onboarding and mature accounts.
  Each has a plan (starter, growth, enterprise), licensed seats, a billing
  interval (1, 3 or 12 months), a currency, firmographics and a CSM.
- Latent health. Weekly ``h = mu + x_t + onboarding(age)``: ``mu`` an
  account-level mean, ``x_t`` an AR(1) (phi 0.9, stationary sd about 0.7) with
  rare negative shocks (a champion leaves, an outage) that fade, and a dip while
  an account onboards. ``h`` is never emitted; the tables only see it through
  noisy symptoms: event volume, feature breadth, active users, tickets
  and their urgency, CSAT, NPS, answer rate, failed payments and downgrades.
- Churn. A weekly hazard ``l0 * exp(-beta * h_lagged) + l_budget`` on an
  exponential average of health two weeks earlier, so symptoms lead churn by
  weeks to months; ``l_budget`` is churn for reasons health does not show
  (budget cuts), so some healthy accounts churn and some unhealthy ones stay.
  Monthly and quarterly subscriptions can decide any week; yearly ones only in
  the eight weeks before a renewal; trials decide more easily. A decision ends
  the subscription at the period end (most), at once, or through a failed
  renewal payment (dunning, more likely for unhealthy accounts) two to four
  weeks after the renewal. Engagement falls once a customer has asked to cancel.
- Reactivation. 22% of accounts that left at least a month before the end
  come back one to several months later (if still within the window) with a
  new subscription and a lift in health.
- Nothing is simulated after ``end_date``: the tables cannot leak the future.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dagster_project.sources.demo import arrow, params
from dagster_project.sources.demo.params import DemoParams, substream
from dagster_project.sources.demo.timeline import Timeline

NEVER = 2**40  # a day number that stands for "not within the simulated history"

# Spell end kinds.
ONGOING, PERIOD_END, IMMEDIATE, DUNNING, TRIAL = 0, 1, 2, 3, 4

STOCK_YEARS = 3
ORPHAN_SHARE = 0.01
FALLBACK_KEY_SHARE = 0.03  # customers whose metadata lacks account_id
TRIAL_SHARE = 0.35
TRIAL_DAYS = 14

PHI = 0.9
SHOCK_SD = 0.3
SHOCK_RATE = 0.008
SHOCK_SIZE = 1.6
MU_SD = 0.75
ONBOARDING_DIP = 0.5
ONBOARDING_DAYS = 35.0

HAZARD_BASE = 0.000033  # per day, at h = 0
HAZARD_BETA = 2.8
HAZARD_BUDGET = 0.00003  # per day, whatever the health
TRIAL_HAZARD_FACTOR = 4.0
RENEWAL_WINDOW_DAYS = 56
REACTIVATION_SHARE = 0.22
REACTIVATION_LIFT = 0.8

ENGAGEMENT_BETA = 1.0  # event volume ~ exp(beta * h)
CANCELLED_ENGAGEMENT = 0.4  # after a customer asked to cancel


@dataclass(frozen=True)
class Spells:
    """Subscriptions as lifetimes, one row each; ``number`` 2 is a reactivation."""

    account: np.ndarray
    number: np.ndarray
    start_day: np.ndarray
    start_sec: np.ndarray
    anchor_day: np.ndarray  # first billing period start: the trial end, else the start
    interval_months: np.ndarray
    plan: np.ndarray
    seats: np.ndarray
    decision_day: np.ndarray  # NEVER when the customer did not decide to leave
    decision_sec: np.ndarray
    end_day: np.ndarray  # may lie after the window (cancel at period end, dunning); else NEVER
    kind: np.ndarray

    def __len__(self) -> int:
        return len(self.account)


@dataclass(frozen=True)
class Accounts:
    """Per-account attributes (index 0..n-1; orphans last) and their weekly latent health."""

    timeline: Timeline
    n_billed: int
    key: pa.Array  # account_id in every source
    customer_key: np.ndarray  # bool: account_id fell back to the customer id (no metadata)
    created_day: np.ndarray
    created_sec: np.ndarray
    plan: np.ndarray
    seats: np.ndarray
    interval_months: np.ndarray
    currency: np.ndarray
    industry: np.ndarray
    employees: np.ndarray
    owner: np.ndarray  # index into CSM_NAMES, -1 for none
    name: pa.Array
    domain: pa.Array
    utc_offset_hours: np.ndarray
    activity: np.ndarray  # relative event volume (size and habit), mean 1
    health: np.ndarray  # (n, weeks) float32
    spells: Spells
    active_from: np.ndarray  # (n, 2) day windows [from, to) when the account uses the product
    active_to: np.ndarray
    quiet_from: np.ndarray  # (n, 2) day from which a leaving customer uses it less
    customer_ids: pa.Array  # cus_... of billed accounts

    @property
    def n(self) -> int:
        """Number of accounts, orphans included."""
        return len(self.created_day)

    def health_at(self, account: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Latent health of each (account, day): the value of that day's week."""
        week = np.clip(np.asarray(day) // 7, 0, self.health.shape[1] - 1)
        return self.health[account, week].astype(np.float64)

    def is_active(self, account: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Whether each account uses the product on that day (inside one of its two live windows)."""
        a, d = account, day
        return ((self.active_from[a, 0] <= d) & (d < self.active_to[a, 0])) | (
            (self.active_from[a, 1] <= d) & (d < self.active_to[a, 1])
        )

    def engagement(self, account: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Expected relative event volume of ``account`` on ``day`` (0 when inactive), before normalising."""
        a, d = account, day
        age = d - self.created_day[a]
        ramp = 1.0 - 0.8 * np.exp(-np.maximum(age, 0) / 21.0)
        quiet = np.where(
            ((self.quiet_from[a, 0] <= d) & (d < self.active_to[a, 0]))
            | ((self.quiet_from[a, 1] <= d) & (d < self.active_to[a, 1])),
            CANCELLED_ENGAGEMENT,
            1.0,
        )
        rate = self.activity[a] * ramp * np.exp(ENGAGEMENT_BETA * self.health_at(a, d)) * quiet
        return np.where(self.is_active(a, d), rate, 0.0)

    @cached_property
    def engagement_norm(self) -> float:
        """Mean engagement over active account-weeks: dividing by it makes events_per_account_day a mean."""
        weeks = self.health.shape[1]
        a = np.repeat(np.arange(self.n), weeks)
        d = np.minimum(np.tile(np.arange(weeks) * 7 + 3, self.n), self.timeline.days - 1)
        active = self.is_active(a, d)
        return float(self.engagement(a[active], d[active]).mean()) if active.any() else 1.0

    def depth(self, account: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Share of an account's joined users who are active: lower when unhealthy."""
        return 0.3 + 0.7 / (1.0 + np.exp(-(1.3 * self.health_at(account, day) + 0.3)))

    def last_active_day(self, observed: bool = False) -> np.ndarray:
        """The last day each account used the product (may be before creation for no activity), in the
        world, or up to the last day ``observed``."""
        until = self.timeline.observed_days if observed else self.timeline.days
        to = np.where(self.active_from < until, np.minimum(self.active_to, until), -NEVER)
        return to.max(axis=1) - 1


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def simulate_accounts(p: DemoParams) -> Accounts:
    """Simulate accounts, health and lifecycles for ``p`` (deterministic in ``p``)."""
    rng = substream(p.seed, "accounts")
    tl = Timeline(p.start_date, p.world_days, p.days)
    days = p.world_days
    n_billed = p.accounts
    n_orphans = max(1, round(ORPHAN_SHARE * n_billed))
    n = n_billed + n_orphans

    # Sign-ups: a stock from before the window, the rest spread over it.
    new_share = days / (days + 800)
    is_new = rng.random(n) < new_share
    is_new[n_billed:] = True
    created_day = np.where(
        is_new, rng.integers(0, days, n), -rng.integers(1, 365 * STOCK_YEARS + 1, n)
    ).astype(np.int64)
    created_day[n_billed:] = rng.integers(0, max(days - TRIAL_DAYS, 1), n_orphans)
    created_sec = rng.integers(6 * 3600, 22 * 3600, n).astype(np.int64)

    plan = rng.choice(3, size=n, p=params.PLAN_MIX).astype(np.int64)
    median = np.asarray(params.SEATS_MEDIAN)[plan]
    lo, hi = np.asarray(params.SEATS_BOUNDS).T
    seats = np.clip(np.round(median * np.exp(rng.normal(0, 0.6, n))), lo[plan], hi[plan]).astype(np.int64)
    mix = np.asarray(params.INTERVAL_MIX)[plan]
    interval_months = np.asarray(params.INTERVAL_MONTHS)[(rng.random(n)[:, None] > mix.cumsum(1)).sum(1)]
    currency = (rng.random(n) < params.EUR_SHARE).astype(np.int64)
    industry = rng.integers(0, len(params.INDUSTRIES), n)
    employees = np.maximum(seats * np.exp(rng.normal(1.5, 0.8, n)), 2).astype(np.int64)
    owner = np.where(rng.random(n) < params.UNOWNED_SHARE, -1, rng.integers(0, len(params.CSM_NAMES), n))
    owner[n_billed:] = np.where(rng.random(n_orphans) < 0.5, -1, owner[n_billed:])
    utc_offset_hours = rng.choice([-8, -5, 0, 1, 2, 5, 8], size=n, p=[0.2, 0.3, 0.1, 0.2, 0.1, 0.05, 0.05])
    activity = (seats / np.exp(np.log(seats).mean())) ** 0.6 * np.exp(rng.normal(0, 0.35, n))
    activity /= activity.mean()

    health = _simulate_health(rng, created_day, days)
    spells = _simulate_lifecycles(
        rng, tl, health, created_day, created_sec, is_new, plan, seats, interval_months, n_billed
    )

    active_from = np.full((n, 2), NEVER, np.int64)
    active_to = np.full((n, 2), NEVER, np.int64)
    quiet_from = np.full((n, 2), NEVER, np.int64)
    col = spells.number - 1
    active_from[spells.account, col] = spells.start_day
    active_to[spells.account, col] = np.minimum(spells.end_day, days)
    leaving = (spells.kind == PERIOD_END) | (spells.kind == TRIAL)
    quiet_from[spells.account[leaving], col[leaving]] = spells.decision_day[leaving]
    orphans = np.arange(n_billed, n)
    active_from[orphans, 0] = created_day[orphans]
    active_to[orphans, 0] = np.minimum(
        created_day[orphans] + TRIAL_DAYS + rng.integers(0, 30, n_orphans), days
    )

    # Keys: acct_000123, except customers without metadata, keyed by their Stripe id.
    customer_ids = arrow.stripe_ids("cus_", substream(p.seed, "customer_ids"), n_billed)
    customer_key = np.zeros(n, bool)
    customer_key[rng.choice(n_billed, size=round(FALLBACK_KEY_SHARE * n_billed), replace=False)] = True
    own_keys = arrow.numbered("acct_", np.arange(1, n + 1), width=6)
    key = pc.if_else(
        customer_key, pa.concat_arrays([customer_ids, pa.nulls(n_orphans, pa.string())]), own_keys
    )

    name_parts = [rng.integers(0, len(c), n) for c in (params.NAME_ADJECTIVES, params.NAME_NOUNS)]
    adjective = arrow.pick(params.NAME_ADJECTIVES, name_parts[0])
    noun = arrow.pick(params.NAME_NOUNS, name_parts[1])
    suffix = arrow.pick(params.NAME_SUFFIXES, rng.integers(0, len(params.NAME_SUFFIXES), n))
    name = arrow.concat(adjective, noun, suffix, sep=" ")
    domain = pc.utf8_lower(arrow.concat(adjective, noun, arrow.numbered("", np.arange(1, n + 1)), ".com"))

    accounts = Accounts(
        timeline=tl,
        n_billed=n_billed,
        key=key,
        customer_key=customer_key,
        created_day=created_day,
        created_sec=created_sec,
        plan=plan,
        seats=seats,
        interval_months=interval_months,
        currency=currency,
        industry=industry,
        employees=employees,
        owner=owner,
        name=name,
        domain=domain,
        utc_offset_hours=utc_offset_hours,
        activity=activity,
        health=health,
        spells=spells,
        active_from=active_from,
        active_to=active_to,
        quiet_from=quiet_from,
        customer_ids=customer_ids,
    )
    return accounts


def _simulate_health(rng: np.random.Generator, created_day: np.ndarray, days: int) -> np.ndarray:
    """Weekly latent health (n, weeks): account mean + AR(1) with shocks + onboarding dip."""
    n = len(created_day)
    weeks = -(-days // 7)
    mu = rng.normal(0, MU_SD, n)
    stationary_sd = SHOCK_SD / np.sqrt(1 - PHI**2)
    x = rng.normal(0, stationary_sd, n)
    x_new = rng.normal(-0.1, 0.5, n)
    created_week = created_day // 7
    out = np.empty((n, weeks), np.float32)
    for w in range(weeks):  # a loop over weeks, vectorised over accounts
        shock = (rng.random(n) < SHOCK_RATE) * rng.normal(SHOCK_SIZE, 0.4, n)
        x = PHI * x + rng.normal(0, SHOCK_SD, n) - shock
        x = np.where(created_week == w, x_new, x)
        age = w * 7 + 3 - created_day
        onboarding = -ONBOARDING_DIP * np.exp(-np.maximum(age, 0) / ONBOARDING_DAYS)
        out[:, w] = mu + x + onboarding
    return out


def _lagged_health(health: np.ndarray, lag_weeks: int = 2, alpha: float = 0.3) -> np.ndarray:
    """Exponential average of health, ``lag_weeks`` earlier: what the churn hazard reacts to."""
    ema = np.empty_like(health)
    ema[:, 0] = health[:, 0]
    for w in range(1, health.shape[1]):
        ema[:, w] = (1 - alpha) * ema[:, w - 1] + alpha * health[:, w]
    out = np.empty_like(health)
    out[:, lag_weeks:] = ema[:, :-lag_weeks]
    out[:, :lag_weeks] = ema[:, :1]
    return out


def _simulate_lifecycles(
    rng: np.random.Generator,
    tl: Timeline,
    health: np.ndarray,
    created_day: np.ndarray,
    created_sec: np.ndarray,
    is_new: np.ndarray,
    plan: np.ndarray,
    seats: np.ndarray,
    interval_months: np.ndarray,
    n_billed: int,
) -> Spells:
    """First subscriptions of every billed account, then reactivations (health is lifted in place)."""
    days = tl.days
    acct = np.arange(n_billed)
    new = is_new[:n_billed]
    start = created_day[:n_billed]
    trial = new & (rng.random(n_billed) < TRIAL_SHARE)
    first = _subscriptions(
        rng, tl, health, number=1, account=acct, start=start, start_sec=created_sec[acct],
        anchor=start + trial * TRIAL_DAYS, interval=interval_months[acct], plan=plan[acct],
        seats=seats[acct], from_day=np.where(new, start + 7, 0),
    )  # fmt: skip

    # Reactivations: a new subscription one to several months after the old one ended.
    ended = first.end_day
    start2 = ended + 30 + rng.exponential(90, n_billed).astype(np.int64)
    back = (ended < days - 30) & (rng.random(n_billed) < REACTIVATION_SHARE) & (start2 < days - 1)
    r_acct, r_start = acct[back], start2[back]
    since = np.arange(health.shape[1])[None, :] - (r_start // 7)[:, None]
    lift = np.where(since >= 0, REACTIVATION_LIFT * PHI ** np.maximum(since, 0), 0.0)
    health[r_acct] += lift.astype(np.float32)
    r_interval = np.where(rng.random(len(r_acct)) < 0.8, 1, interval_months[r_acct])
    r_seats = np.maximum(np.round(seats[r_acct] * rng.uniform(0.6, 1.0, len(r_acct))), 1).astype(np.int64)
    second = _subscriptions(
        rng, tl, health, number=2, account=r_acct, start=r_start,
        start_sec=rng.integers(6 * 3600, 22 * 3600, len(r_acct)), anchor=r_start, interval=r_interval,
        plan=plan[r_acct], seats=r_seats, from_day=r_start + 7,
    )  # fmt: skip
    return Spells(
        **{f: np.concatenate([getattr(first, f), getattr(second, f)]) for f in Spells.__dataclass_fields__}
    )


def _subscriptions(
    rng: np.random.Generator,
    tl: Timeline,
    health: np.ndarray,
    *,
    number: int,
    account: np.ndarray,
    start: np.ndarray,
    start_sec: np.ndarray,
    anchor: np.ndarray,
    interval: np.ndarray,
    plan: np.ndarray,
    seats: np.ndarray,
    from_day: np.ndarray,
) -> Spells:
    """Subscriptions starting at ``start``, with the week each customer decides to leave (if any) and how."""
    s, weeks = len(account), health.shape[1]
    day = np.arange(weeks)[None, :] * 7 + rng.integers(0, 7, (s, weeks))
    h = _lagged_health(health[account]).astype(np.float64)
    daily = HAZARD_BASE * np.exp(-HAZARD_BETA * h) + HAZARD_BUDGET
    in_trial = day < anchor[:, None]
    factor = np.where(in_trial, TRIAL_HAZARD_FACTOR, 1.0)
    yearly = np.flatnonzero(interval == 12)
    if len(yearly):
        # Yearly customers decide in the weeks before a renewal, at the same yearly rate.
        d = day[yearly]
        to_renewal = tl.next_renewal(anchor[yearly, None], 12, d) - d
        window = (to_renewal <= RENEWAL_WINDOW_DAYS) & ~in_trial[yearly]
        factor[yearly] = np.where(window, 365.0 / RENEWAL_WINDOW_DAYS, factor[yearly] * in_trial[yearly])
    p = 1.0 - np.exp(-daily * 7 * factor)
    hit = (day >= from_day[:, None]) & (day < tl.days) & (rng.random((s, weeks)) < p)
    decided = hit.any(axis=1)
    rows, week = np.arange(s), hit.argmax(axis=1)
    decision_day = np.where(decided, day[rows, week], NEVER)

    # How it ends: unhealthy monthly customers more often just stop paying.
    u = rng.random(s)
    dunning_p = np.where(interval == 12, 0.08, _sigmoid(-1.2 - 1.0 * h[rows, week]))
    kind = np.where(u < dunning_p, DUNNING, np.where((u > 0.88) & (interval != 12), IMMEDIATE, PERIOD_END))
    kind = np.where(in_trial[rows, week], TRIAL, kind)
    kind = np.where(decided, kind, ONGOING)
    safe_day = np.where(decided, decision_day, 0)
    renewal = tl.next_renewal(anchor, interval, safe_day)
    end_day = np.select(
        [kind == PERIOD_END, kind == IMMEDIATE, kind == DUNNING, kind == TRIAL],
        [renewal, safe_day, renewal + rng.integers(14, 28, s), anchor],
        NEVER,
    )
    return Spells(
        account=account,
        number=np.full(s, number),
        start_day=start,
        start_sec=start_sec,
        anchor_day=anchor,
        interval_months=interval,
        plan=plan,
        seats=seats,
        decision_day=decision_day,
        decision_sec=rng.integers(7 * 3600, 21 * 3600, s),
        end_day=end_day,
        kind=kind,
    )
