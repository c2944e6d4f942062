"""Stripe-shaped billing: customers, subscriptions, their items, invoices and invoice lines.

One subscription per lifecycle spell of an account (a reactivation is a new
subscription of the same customer). Each billing period gives one invoice on
the period start, with a regular line at the price and seats then in force.
Plan and seat changes happen inside a subscription (upgrades more likely for
healthy accounts, downgrades for unhealthy ones); the item shows the current
price and quantity, and the next invoice carries two proration lines (credit
for unused time on the old price, charge for the remaining time on the new).
Payments fail more often for unhealthy accounts; most failures are recovered by
retries, some end uncollectible, and a subscription ended by dunning has its
last renewal invoice fail. Every status is the one seen at the end of
``end_date``, however far the world runs past it; objects created after it are
not there yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dagster_project.sources.demo import arrow, params
from dagster_project.sources.demo.accounts import DUNNING, IMMEDIATE, PERIOD_END, TRIAL, Accounts
from dagster_project.sources.demo.params import DemoParams, substream
from dagster_project.sources.demo.timeline import US_PER_DAY, US_PER_SECOND

HOUR_US = 3_600 * US_PER_SECOND
RETRY_DAYS = (0, 3, 8, 15)  # auto-charge attempts after the first, Smart-Retries-like
UNCOLLECTIBLE_AFTER_DAYS = 21
INVOICE_TERMS_DAYS = 30
UPGRADE_RATE = 0.010  # per month, at h = 0
DOWNGRADE_RATE = 0.004
CHANGE_BETA = 0.9
VOID_SHARE = 0.004
FAIL_INTERCEPT, FAIL_BETA = -3.4, 0.9
RECOVERED_SHARE = 0.65
PARTIAL_SHARE = 0.15

# Invoice statuses.
PAID, OPEN, UNCOLLECTIBLE, VOID = "paid", "open", "uncollectible", "void"
STATUSES = (PAID, OPEN, UNCOLLECTIBLE, VOID)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


@dataclass(frozen=True)
class Prices:
    """The price catalogue: plan x currency x interval."""

    ids: pa.Array
    product_ids: pa.Array

    @staticmethod
    def index(plan: np.ndarray, currency: np.ndarray, interval_months: np.ndarray) -> np.ndarray:
        """Position of each (plan, currency, interval) price in the catalogue."""
        interval_idx = np.searchsorted(params.INTERVAL_MONTHS, interval_months)
        return (plan * len(params.CURRENCIES) + currency) * len(params.INTERVAL_MONTHS) + interval_idx

    @staticmethod
    def unit_amount(plan: np.ndarray, currency: np.ndarray, interval_months: np.ndarray) -> np.ndarray:
        """Price per seat per billing interval, in cents."""
        monthly = np.asarray([params.SEAT_PRICE[c] for c in params.CURRENCIES])[currency, plan]
        factors = np.asarray([params.INTERVAL_PRICE_FACTOR[m] for m in params.INTERVAL_MONTHS])
        return np.round(monthly * factors[_interval_idx(interval_months)]).astype(np.int64)


def stripe_interval(interval_months: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    """Stripe's (interval, interval_count): 12 months is (year, 1), else (month, n)."""
    yearly = interval_months == 12
    return arrow.pick(("month", "year"), yearly.astype(np.int64)), np.where(yearly, 1, interval_months)


class Billing:
    """The billing history of all accounts (cached arrays; tables are built on request)."""

    def __init__(self, acc: Accounts, p: DemoParams) -> None:
        self.acc = acc
        self.p = p
        self.tl = acc.timeline
        self.spells = acc.spells
        rng = substream(p.seed, "billing")
        n_prices = 3 * len(params.CURRENCIES) * len(params.INTERVAL_MONTHS)
        self.prices = Prices(
            ids=arrow.stripe_ids("price_", substream(p.seed, "prices"), n_prices),
            product_ids=arrow.stripe_ids("prod_", substream(p.seed, "products"), 3),
        )
        s = self.spells
        self.currency = acc.currency[s.account]
        self.subscription_ids = arrow.stripe_ids("sub_", rng, len(s))
        self.item_ids = arrow.stripe_ids("si_", rng, len(s))
        self._simulate_periods(rng)
        self._simulate_payments(rng)

    # --- simulation -------------------------------------------------------------------------

    def _simulate_periods(self, rng: np.random.Generator) -> None:
        """Billing periods of every subscription, with the plan and seats in force and the changes."""
        tl, s, days = self.tl, self.spells, self.tl.days
        n = len(s)
        interval = s.interval_months
        stop = np.minimum(s.end_day, days)
        k0 = np.where(s.anchor_day < 0, tl.months_between(s.anchor_day, np.zeros(n, np.int64)) // interval, 0)
        k_max = days // 28 + 3
        k = k0[:, None] + np.arange(k_max)[None, :]
        start = tl.add_months(s.anchor_day[:, None], k * interval[:, None])
        end = tl.add_months(s.anchor_day[:, None], (k + 1) * interval[:, None])
        valid = start < stop[:, None]

        plan = np.empty((n, k_max), np.int64)
        seats = np.empty((n, k_max), np.int64)
        changed = np.zeros((n, k_max), bool)
        change_day = np.zeros((n, k_max), np.int64)
        cur_plan, cur_seats = s.plan.copy(), s.seats.copy()
        for j in range(k_max):  # a loop over billing periods, vectorised over subscriptions
            plan[:, j], seats[:, j] = cur_plan, cur_seats
            day = start[:, j] + (rng.random(n) * (end[:, j] - start[:, j])).astype(np.int64)
            can = (j + 1 < k_max) & valid[:, min(j + 1, k_max - 1)] & (day >= 0) & (day >= s.start_day)
            h = self.acc.health_at(s.account, np.clip(day, 0, days - 1))
            p_up = 1 - (1 - np.minimum(UPGRADE_RATE * np.exp(CHANGE_BETA * h), 0.5)) ** interval
            p_down = 1 - (1 - np.minimum(DOWNGRADE_RATE * np.exp(-CHANGE_BETA * h), 0.5)) ** interval
            u = rng.random(n)
            up = can & (u < p_up)
            down = can & ~up & (u > 1 - p_down)
            new_plan, new_seats = _changed_plan(rng, cur_plan, cur_seats, up, down)
            did = (new_plan != cur_plan) | (new_seats != cur_seats)
            changed[:, j], change_day[:, j] = did, day
            cur_plan, cur_seats = new_plan, new_seats
        # The plan and seats in force at the end of the last day seen: after the last change made by then.
        made = changed & (change_day < tl.observed_days)
        # (no change is made in the last period: ``can`` needs a next one, so ``last + 1`` is a period)
        last = np.where(made.any(axis=1), k_max - 1 - np.argmax(made[:, ::-1], axis=1), -1)
        rows = np.arange(n)
        after = np.minimum(last + 1, k_max - 1)
        self.plan_now = np.where(last >= 0, plan[rows, after], s.plan)
        self.seats_now = np.where(last >= 0, seats[rows, after], s.seats)

        # Invoices: one per valid period.
        cell_s, cell_j = np.nonzero(valid)
        self.inv_sub = cell_s
        self.inv_start_day = start[cell_s, cell_j]
        self.inv_end_day = end[cell_s, cell_j]
        self.inv_plan = plan[cell_s, cell_j]
        self.inv_seats = seats[cell_s, cell_j]
        sec = s.start_sec[cell_s]
        self.inv_created_us = tl.us(self.inv_start_day, sec)
        self.inv_end_us = tl.us(self.inv_end_day, sec)
        self.inv_seen = self.inv_created_us < tl.end_us
        inv_index = np.full((n, k_max), -1, np.int64)
        inv_index[cell_s, cell_j] = np.arange(len(cell_s))

        # Changes: the proration lines go on the next period's invoice.
        ch_s, ch_j = np.nonzero(changed)
        change_us = tl.us(change_day[ch_s, ch_j], rng.integers(8 * 3600, 20 * 3600, len(ch_s)))
        p_start, p_end = (
            tl.us(start[ch_s, ch_j], s.start_sec[ch_s]),
            tl.us(end[ch_s, ch_j], s.start_sec[ch_s]),
        )
        self.ch_invoice = inv_index[ch_s, ch_j + 1]
        self.ch_sub = ch_s
        self.ch_us = change_us
        self.ch_period_end_us = p_end
        self.ch_fraction = (p_end - change_us) / (p_end - p_start)
        self.ch_old = (plan[ch_s, ch_j], seats[ch_s, ch_j])
        self.ch_new = (plan[ch_s, ch_j + 1], seats[ch_s, ch_j + 1])

    def _simulate_payments(self, rng: np.random.Generator) -> None:
        """Outcome of every invoice's payment, then its status as seen at the end of the window."""
        s, tl = self.spells, self.tl
        sub = self.inv_sub
        n = len(sub)
        cur = self.currency[sub]
        interval = s.interval_months[sub]
        unit = Prices.unit_amount(self.inv_plan, cur, interval)
        self.inv_regular_amount = unit * self.inv_seats

        def prorated(plan: np.ndarray, seats: np.ndarray) -> np.ndarray:
            """Price of ``seats`` x ``plan`` for the rest of the period after each change."""
            ch_unit = Prices.unit_amount(plan, self.currency[self.ch_sub], s.interval_months[self.ch_sub])
            return np.round(ch_unit * seats * self.ch_fraction).astype(np.int64)

        credit, charge = -prorated(*self.ch_old), prorated(*self.ch_new)
        self.ch_amounts = (credit, charge)
        amount_due = self.inv_regular_amount + np.bincount(self.ch_invoice, credit + charge, n).astype(
            np.int64
        )
        self.inv_amount_due = amount_due

        # Which invoices fail: unhealthy accounts more often; a dunning subscription's last renewal always.
        h = self.acc.health_at(s.account[sub], np.clip(self.inv_start_day, 0, tl.days - 1))
        fails = rng.random(n) < _sigmoid(FAIL_INTERCEPT - FAIL_BETA * h)
        dunned = _last_of_runs(sub) & (s.kind[sub] == DUNNING) & (self.inv_start_day >= s.decision_day[sub])
        recovered = fails & ~dunned & (rng.random(n) < RECOVERED_SHARE)
        lost = (fails | dunned) & ~recovered
        void = ~fails & ~dunned & (rng.random(n) < VOID_SHARE)

        # When it gets paid or given up, by collection method.
        created = self.inv_created_us
        by_invoice = (self.acc.plan[s.account[sub]] == 2) & (interval == 12)
        due = np.where(by_invoice, created + INVOICE_TERMS_DAYS * US_PER_DAY, -1)
        success_attempt = np.where(recovered, rng.integers(2, len(RETRY_DAYS) + 1, n), 1)
        retry = np.asarray(RETRY_DAYS)[success_attempt - 1] * US_PER_DAY
        minutes = rng.integers(1, 30, n) * 60 * US_PER_SECOND
        paid_auto = created + HOUR_US + retry
        paid_terms = (
            np.where(
                recovered,
                due + rng.integers(3, 40, n) * US_PER_DAY,
                created + rng.integers(1, 28, n) * US_PER_DAY,
            )
            + minutes
        )
        paid_at = np.where(by_invoice, paid_terms, paid_auto)
        lost_at = np.where(
            by_invoice, due + 60 * US_PER_DAY, created + HOUR_US + UNCOLLECTIBLE_AFTER_DAYS * US_PER_DAY
        )

        end = tl.end_us
        is_paid = ~lost & ~void & (paid_at < end)
        is_lost = lost & (lost_at < end)
        status = np.where(void, 3, np.where(is_paid, 0, np.where(is_lost, 2, 1)))
        attempts_made = np.zeros(n, np.int64)
        for offset in RETRY_DAYS:
            attempts_made += created + HOUR_US + offset * US_PER_DAY < end
        attempt_count = np.where(
            by_invoice,
            is_paid.astype(np.int64),
            np.minimum(attempts_made, np.where(lost, 4, success_attempt)),
        )
        attempt_count = np.where(void, 0, attempt_count)
        partial = lost & (rng.random(n) < PARTIAL_SHARE)
        amount_paid = np.where(
            status == 0,
            amount_due,
            np.where(partial & (status != 3), np.round(amount_due * rng.uniform(0.3, 0.7, n)), 0),
        ).astype(np.int64)
        self.inv_status = status
        self.inv_amount_paid = amount_paid
        self.inv_amount_remaining = np.where(status == 3, 0, amount_due - amount_paid)
        self.inv_attempt_count = attempt_count
        self.inv_paid_at = paid_at
        self.inv_due_us = due
        # Failing now: given up, or open after a failed attempt or past its due date.
        self.inv_failing = (status == 2) | (
            (status == 1) & np.where(by_invoice, due < end, attempt_count >= 1)
        )

    # --- per subscription ------------------------------------------------------------------

    @cached_property
    def latest_invoice(self) -> np.ndarray:
        """Index of each subscription's latest invoice seen, -1 when it has none."""
        seen = np.flatnonzero(self.inv_seen)  # invoices are ordered by subscription, period
        last = seen[_last_of_runs(self.inv_sub[seen])]
        latest = np.full(len(self.spells), -1, np.int64)
        latest[self.inv_sub[last]] = last
        return latest

    # --- tables -----------------------------------------------------------------------------

    def customers(self) -> pa.Table:
        """``stripe_customers``: one per billed account, delinquent when its latest invoice is failing."""
        acc, n = self.acc, self.acc.n_billed
        key = acc.key.slice(0, n)
        metadata = arrow.concat('{"account_id": "', key, '"}')
        metadata = pc.if_else(acc.customer_key[:n], pa.scalar("{}"), metadata)
        # Delinquent: the customer's most recent invoice is failing.
        seen = np.flatnonzero(self.inv_seen)
        inv_account = self.spells.account[self.inv_sub[seen]]
        order = np.lexsort((self.inv_created_us[seen], inv_account))
        latest = order[_last_of_runs(inv_account[order])]
        delinquent = np.zeros(n, bool)
        delinquent[inv_account[latest]] = self.inv_failing[seen[latest]]
        return arrow.seen(
            acc.created_day[:n] < self.tl.observed_days,
            arrow.table(
                "stripe_customers",
                {
                    "customer_id": acc.customer_ids,
                    "account_id": key,
                    "name": acc.name.slice(0, n),
                    "email": arrow.concat("billing@", acc.domain.slice(0, n)),
                    "currency": arrow.pick(params.CURRENCIES, acc.currency[:n]),
                    "delinquent": arrow.bools(delinquent),
                    "deleted": arrow.bools(np.zeros(n, bool)),
                    "created_at": arrow.ts(self.tl.us(acc.created_day[:n], acc.created_sec[:n])),
                    "metadata": metadata,
                },
            ),
        )

    def subscriptions(self) -> pa.Table:
        """``stripe_subscriptions``: status, current period and cancellation as of the end of the window."""
        tl, s, days = self.tl, self.spells, self.tl.observed_days
        decided = s.decision_day < days
        ended = s.end_day < days
        at_period_end = decided & ((s.kind == PERIOD_END) | (s.kind == TRIAL))
        decision_us = tl.us(np.minimum(s.decision_day, days), s.decision_sec)
        end_us = np.select(
            [s.kind == IMMEDIATE, s.kind == DUNNING],
            [decision_us, tl.us(np.minimum(s.end_day, days), s.decision_sec)],
            tl.us(np.minimum(s.end_day, days), s.start_sec),
        )
        canceled_at = np.where(at_period_end, decision_us, end_us)
        latest = self.latest_invoice
        past_due = (latest >= 0) & self.inv_failing[np.maximum(latest, 0)]
        trialing = s.anchor_day > days - 1
        status = np.select([ended, trialing, past_due], [0, 1, 2], 3)
        # The current period: the one holding the last day the subscription was live.
        ref = np.minimum(days - 1, np.where(ended, s.end_day - 1, days - 1))
        in_trial = ref < s.anchor_day
        months = np.maximum(tl.months_between(s.anchor_day, np.maximum(ref, s.anchor_day)), 0)
        cps = tl.add_months(s.anchor_day, months // s.interval_months * s.interval_months)
        cpe = tl.next_renewal(s.anchor_day, s.interval_months, np.maximum(ref, s.anchor_day))
        cps, cpe = np.where(in_trial, s.start_day, cps), np.where(in_trial, s.anchor_day, cpe)
        sales = self.acc.plan[s.account] == 2
        return arrow.seen(
            s.start_day < days,
            arrow.table(
                "stripe_subscriptions",
                {
                    "subscription_id": self.subscription_ids,
                    "customer_id": pc.take(self.acc.customer_ids, pa.array(s.account)),
                    "account_id": self._known_account_id(s.account),
                    "status": arrow.pick(("canceled", "trialing", "past_due", "active"), status),
                    "created_at": arrow.ts(tl.us(s.start_day, s.start_sec)),
                    "started_at": arrow.ts(tl.us(s.start_day, s.start_sec)),
                    "current_period_start": arrow.ts(tl.us(cps, s.start_sec)),
                    "current_period_end": arrow.ts(tl.us(cpe, s.start_sec)),
                    "cancel_at_period_end": arrow.bools(at_period_end),
                    "canceled_at": arrow.ts(canceled_at, at_period_end | ended),
                    "ended_at": arrow.ts(end_us, ended),
                    "metadata": arrow.pick(
                        ('{"sales_channel": "self_serve"}', '{"sales_channel": "sales"}'),
                        sales.astype(np.int64),
                    ),
                },
            ),
        )

    def subscription_items(self) -> pa.Table:
        """``stripe_subscription_items``: one item per subscription at its current price and seats."""
        s = self.spells
        cur = self.currency
        interval, interval_count = stripe_interval(s.interval_months)
        price = Prices.index(self.plan_now, cur, s.interval_months)
        unit_amount = np.asarray(Prices.unit_amount(self.plan_now, cur, s.interval_months), np.int64)
        return arrow.seen(
            s.start_day < self.tl.observed_days,
            arrow.table(
                "stripe_subscription_items",
                {
                    "subscription_item_id": self.item_ids,
                    "subscription_id": self.subscription_ids,
                    "price_id": pc.take(self.prices.ids, pa.array(price)),
                    "product_id": pc.take(self.prices.product_ids, pa.array(self.plan_now)),
                    "plan_name": arrow.pick(params.PLANS, self.plan_now),
                    "unit_amount": arrow.ints(unit_amount),
                    "amount_per_interval": arrow.ints(unit_amount * self.seats_now),
                    "usage_type": "licensed",
                    "currency": arrow.pick(params.CURRENCIES, cur),
                    "interval": interval,
                    "interval_count": arrow.ints(interval_count),
                    "quantity": arrow.ints(self.seats_now),
                    "created_at": arrow.ts(self.tl.us(s.start_day, s.start_sec)),
                },
            ),
        )

    @cached_property
    def invoice_ids(self) -> pa.Array:
        """Invoice ids, shared by the invoices and their lines."""
        return arrow.stripe_ids("in_", substream(self.p.seed, "stripe_invoices"), len(self.inv_sub))

    def invoices(self) -> pa.Table:
        """``stripe_invoices``: one per billing period, amounts and payment status as of the window end."""
        sub = self.inv_sub
        account = self.spells.account[sub]
        status = self.inv_status
        paid = status == 0
        return arrow.seen(
            self.inv_seen,
            arrow.table(
                "stripe_invoices",
                {
                    "invoice_id": self.invoice_ids,
                    "customer_id": pc.take(self.acc.customer_ids, pa.array(account)),
                    "account_id": self._known_account_id(account),
                    "subscription_id": pc.take(self.subscription_ids, pa.array(sub)),
                    "status": arrow.pick(STATUSES, status),
                    "currency": arrow.pick(params.CURRENCIES, self.currency[sub]),
                    "amount_due": arrow.ints(self.inv_amount_due),
                    "amount_paid": arrow.ints(self.inv_amount_paid),
                    "amount_remaining": arrow.ints(self.inv_amount_remaining),
                    "attempt_count": arrow.ints(self.inv_attempt_count),
                    "created_at": arrow.ts(self.inv_created_us),
                    "due_at": arrow.ts(self.inv_due_us, self.inv_due_us >= 0),
                    "paid_at": arrow.ts(self.inv_paid_at, paid),
                    "period_start": arrow.ts(self.inv_created_us),
                    "period_end": arrow.ts(self.inv_end_us),
                },
            ),
        )

    def invoice_line_items(self) -> pa.Table:
        """``stripe_invoice_line_items``: a regular line per invoice plus two proration lines per change."""
        rng = substream(self.p.seed, "stripe_invoice_line_items")
        s = self.spells
        # Regular lines, then for each change an "unused time" credit and a "remaining time" charge.
        n_inv, n_ch = len(self.inv_sub), len(self.ch_sub)
        sub = np.concatenate([self.inv_sub, self.ch_sub, self.ch_sub])
        invoice = np.concatenate([np.arange(n_inv), self.ch_invoice, self.ch_invoice])
        plan = np.concatenate([self.inv_plan, self.ch_old[0], self.ch_new[0]])
        seats = np.concatenate([self.inv_seats, self.ch_old[1], self.ch_new[1]])
        amount = np.concatenate([self.inv_regular_amount, *self.ch_amounts])
        start_us = np.concatenate([self.inv_created_us, self.ch_us, self.ch_us])
        end_us = np.concatenate([self.inv_end_us, self.ch_period_end_us, self.ch_period_end_us])
        kind = np.repeat([0, 1, 2], [n_inv, n_ch, n_ch])
        # Lines of one invoice together, regular line first.
        order = np.lexsort((kind, invoice))
        sub, invoice, plan, seats, amount, start_us, end_us, kind = (
            a[order] for a in (sub, invoice, plan, seats, amount, start_us, end_us, kind)
        )
        cur, months = self.currency[sub], s.interval_months[sub]
        interval, interval_count = stripe_interval(months)
        plan_name = arrow.pick(params.PLANS, plan)
        what = arrow.concat(arrow.numbered("", seats), " × ", plan_name)
        regular = arrow.concat(
            what, " (", arrow.pick(("monthly", "quarterly", "yearly"), _interval_idx(months)), ")"
        )
        unused = arrow.concat("Unused time on ", what)
        remaining = arrow.concat("Remaining time on ", what)
        description = pc.if_else(
            pa.array(kind == 0), regular, pc.if_else(pa.array(kind == 1), unused, remaining)
        )
        return arrow.seen(
            self.inv_seen[invoice],
            arrow.table(
                "stripe_invoice_line_items",
                {
                    "line_item_id": arrow.stripe_ids("il_", rng, len(sub)),
                    "invoice_id": pc.take(self.invoice_ids, pa.array(invoice)),
                    "subscription_id": pc.take(self.subscription_ids, pa.array(sub)),
                    "subscription_item_id": pc.take(self.item_ids, pa.array(sub)),
                    "price_id": pc.take(self.prices.ids, pa.array(Prices.index(plan, cur, months))),
                    "plan_name": plan_name,
                    "unit_amount": arrow.ints(Prices.unit_amount(plan, cur, months)),
                    "interval": interval,
                    "interval_count": arrow.ints(interval_count),
                    "quantity": arrow.ints(seats),
                    "amount": arrow.ints(amount),
                    "discount_amount": 0,
                    "inclusive_tax_amount": 0,
                    "currency": arrow.pick(params.CURRENCIES, cur),
                    "period_start": arrow.ts(start_us),
                    "period_end": arrow.ts(end_us),
                    "proration": arrow.bools(kind > 0),
                    "description": description,
                },
            ),
        )

    def _known_account_id(self, account: np.ndarray) -> pa.Array:
        """The account key where the customer's metadata has one; null where staging must resolve it."""
        key = pc.take(self.acc.key, pa.array(account))
        return pc.if_else(pa.array(self.acc.customer_key[account]), pa.scalar(None, pa.string()), key)


def _last_of_runs(keys: np.ndarray) -> np.ndarray:
    """True at the last element of each run of equal keys."""
    return np.r_[keys[1:] != keys[:-1], True] if len(keys) else np.zeros(0, bool)


def _interval_idx(months: np.ndarray) -> np.ndarray:
    return np.searchsorted(params.INTERVAL_MONTHS, months)


def _changed_plan(
    rng: np.random.Generator, plan: np.ndarray, seats: np.ndarray, up: np.ndarray, down: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Apply upgrades (more seats or the next tier) and downgrades (fewer seats or the tier below).

    A downgrade keeps more than half the amount, so the next invoice (new price plus the net
    proration, at worst twice the new amount less the old) stays positive.
    """
    n = len(plan)
    tier = rng.random(n) < 0.3
    more = seats + np.maximum(1, np.round(seats * rng.uniform(0.1, 0.5, n))).astype(np.int64)
    fewer = np.maximum(np.round(seats * rng.uniform(0.6, 0.9, n)).astype(np.int64), seats // 2 + 1)
    fewer = np.where(fewer >= seats, seats - 1, fewer)
    tier_up = up & tier & (plan < 2)
    seats_up = up & ~tier_up
    tier_down = down & (tier | (seats <= 2)) & (plan > 0)
    seats_down = down & ~tier_down & (seats > 2)
    new_plan = plan + tier_up - tier_down
    new_seats = np.where(seats_up, more, np.where(seats_down, fewer, seats))
    return new_plan.astype(np.int64), new_seats.astype(np.int64)
