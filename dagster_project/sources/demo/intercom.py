"""Intercom-shaped tables: companies, contacts, conversations, tickets and survey responses.

Contacts join an account over time (the first one on the sign-up day) and
stop joining when the account leaves; leads never use the product. Tickets,
conversations and NPS surveys arrive week by week while an account is active,
at rates and with outcomes driven by the account's latent health: unhealthy
accounts raise more and more urgent tickets, wait longer for resolution (some
stay stuck open), rate lower, answer the CSM's outreach less often and give
lower NPS and CSAT scores.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dagster_project.sources.demo import arrow, params
from dagster_project.sources.demo.accounts import STOCK_YEARS, Accounts
from dagster_project.sources.demo.params import DemoParams, substream
from dagster_project.sources.demo.timeline import US_PER_DAY, US_PER_SECOND

HOUR_US = 3_600 * US_PER_SECOND
LEAD_SHARE = 0.12
JOIN_SCALE_DAYS = 90.0
LIFETIME_CONTACTS_FACTOR = 1.1
TICKETS_PER_WEEK = 0.25  # per active account-week, on average
TEAM_OUTREACH_PER_WEEK = 0.2
CUSTOMER_CONVERSATIONS_PER_WEEK = 0.12
NPS_EVERY_DAYS = 90
NPS_RESPONSE_RATE = 0.45
CSAT_RESPONSE_RATE = 0.3
# Resolution time medians (hours) by priority: low, normal, high, urgent.
RESOLUTION_HOURS = (72.0, 36.0, 12.0, 6.0)
_DAY_OFFSET = 365 * STOCK_YEARS + 400  # shifts day numbers positive for sort keys
_KEY_STRIDE = 1 << 22


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def seconds_of_day(
    rng: np.random.Generator, acc: Accounts, account: np.ndarray, day: np.ndarray
) -> np.ndarray:
    """Working-hours times in UTC for each account's time zone, never before the account's sign-up."""
    local = np.clip(rng.normal(13.5, 2.8, len(account)), 0, 23.99) * 3600
    sec = (local - acc.utc_offset_hours[account] * 3600).astype(np.int64) % 86_400
    created = acc.created_sec[account]
    same_day = day == acc.created_day[account]
    after = created + ((86_400 - created) * rng.random(len(account))).astype(np.int64)
    return np.where(same_day & (sec <= created), np.minimum(after, 86_399), sec)


def weekly_arrivals(
    rng: np.random.Generator, acc: Accounts, rate: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(account, day) of Poisson arrivals at ``rate`` per active week (n, weeks), on active days only."""
    counts = rng.poisson(rate)
    cell = np.repeat(np.arange(rate.size), counts.ravel())
    account, week = np.divmod(cell, rate.shape[1])
    day = week * 7 + rng.integers(0, 7, len(cell))
    keep = (day < acc.timeline.days) & acc.is_active(account, day)
    return account[keep], day[keep]


def active_weeks(acc: Accounts) -> np.ndarray:
    """(n, weeks) bool: the account is active on some day of the week."""
    weeks = acc.health.shape[1]
    lo = np.arange(weeks)[None, :] * 7
    out = np.zeros((acc.n, weeks), bool)
    for k in range(2):
        f, t = acc.active_from[:, k : k + 1], acc.active_to[:, k : k + 1]
        out |= (f < lo + 7) & (t > lo)
    return out


class Contacts:
    """Every account's contacts, ordered by account and join day, and how to pick an active user."""

    def __init__(self, acc: Accounts, p: DemoParams) -> None:
        rng = substream(p.seed, "intercom_contacts")
        self.acc, tl = acc, acc.timeline
        n = acc.n
        size = (acc.seats / np.exp(np.log(acc.seats).mean())) ** 0.6
        # A little above the target: contacts due after the account left or the window ended never appear.
        expected = LIFETIME_CONTACTS_FACTOR * p.contacts_per_account * size / size.mean()
        expected[acc.n_billed :] = 2.0
        count = 1 + rng.poisson(np.maximum(expected - 1, 0))
        account = np.repeat(np.arange(n), count)
        rank = np.arange(len(account)) - np.repeat(np.cumsum(count) - count, count)
        join_day = acc.created_day[account] + np.where(
            rank == 0, 0, rng.exponential(JOIN_SCALE_DAYS, len(account)).astype(np.int64)
        )
        lead = (rank > 0) & (rng.random(len(account)) < LEAD_SHARE)
        join_sec = np.where(
            rank == 0, acc.created_sec[account], rng.integers(7 * 3600, 21 * 3600, len(account))
        )
        last_active = acc.last_active_day()
        keep = (join_day <= np.minimum(last_active[account], tl.days - 1)) | (rank == 0)
        order = np.lexsort((rank[keep], join_day[keep], account[keep]))
        self.account = account[keep][order]
        self.rank = rank[keep][order]
        self.join_day = join_day[keep][order]
        self.join_sec = join_sec[keep][order]
        self.lead = lead[keep][order]
        self.created_us = tl.us(self.join_day, self.join_sec)
        self.ids = arrow.object_ids(self.created_us, rng)
        self.p = p

        # Users (not leads) may act from the day after they joined; the account's creator at once.
        users = np.flatnonzero(~self.lead)
        eligible = self.join_day[users] + (self.rank[users] > 0)
        self.user_index = users
        self.user_key = self.account[users] * _KEY_STRIDE + eligible + _DAY_OFFSET
        self.user_start = np.searchsorted(self.account[users], np.arange(n))

    def __len__(self) -> int:
        return len(self.account)

    def joined_users(self, account: np.ndarray, day: np.ndarray) -> np.ndarray:
        """How many of the account's users could act on ``day`` (at least 1)."""
        key = account * _KEY_STRIDE + day + _DAY_OFFSET
        return np.maximum(np.searchsorted(self.user_key, key, side="right") - self.user_start[account], 1)

    def pick(
        self, rng: np.random.Generator, account: np.ndarray, day: np.ndarray, depth: np.ndarray | None = None
    ) -> np.ndarray:
        """Contact index of a user acting on ``day``: among the first ``depth`` share of joined users,
        the earliest (champions) most often."""
        joined = self.joined_users(account, day)
        pool = joined if depth is None else np.maximum(np.ceil(joined * depth), 1).astype(np.int64)
        offset = np.minimum((rng.random(len(account)) ** 1.6 * pool).astype(np.int64), pool - 1)
        return self.user_index[self.user_start[account] + offset]

    def table(self) -> pa.Table:
        """``intercom_contacts``, with an approximate ``last_seen_at`` (recent for active users)."""
        acc, tl = self.acc, self.acc.timeline
        rng = substream(self.p.seed, "intercom_contacts", "table")
        n = len(self)
        a = self.account
        # Last seen: recent for users in the active pool, earlier for occasional users and leads.
        last_active = np.minimum(acc.last_active_day(observed=True)[a], tl.observed_days - 1)
        users_then = self.joined_users(a, last_active)
        user_rank = np.arange(n) - np.searchsorted(a, a)  # position among the account's contacts
        in_pool = user_rank < np.ceil(users_then * acc.depth(a, last_active))
        recent = last_active - rng.geometric(0.4, n) + 1
        occasional = self.join_day + (rng.random(n) * np.maximum(last_active - self.join_day, 0)).astype(
            np.int64
        )
        seen_day = np.where(
            self.lead, self.join_day + rng.integers(0, 5, n), np.where(in_pool, recent, occasional)
        )
        seen_day = np.clip(seen_day, self.join_day, tl.observed_days - 1)
        seen_us = np.maximum(tl.us(seen_day, rng.integers(7 * 3600, 21 * 3600, n)), self.created_us)
        seen = ~self.lead | (rng.random(n) < 0.5)
        first = arrow.pick(params.FIRST_NAMES, rng.integers(0, len(params.FIRST_NAMES), n))
        last = arrow.pick(params.LAST_NAMES, rng.integers(0, len(params.LAST_NAMES), n))
        local_part = pc.utf8_lower(arrow.concat(first, ".", last, arrow.numbered("", self.rank)))
        domain = pc.take(acc.domain, pa.array(a))
        user_no = np.cumsum(~self.lead)
        external = arrow.numbered("user_", user_no, width=7)
        return arrow.seen(
            self.created_us < tl.end_us,
            arrow.table(
                "intercom_contacts",
                {
                    "contact_id": self.ids,
                    "external_id": pc.if_else(pa.array(~self.lead), external, pa.scalar(None, pa.string())),
                    "account_id": pc.take(acc.key, pa.array(a)),
                    "email": arrow.concat(local_part, "@", domain),
                    "name": arrow.concat(first, last, sep=" "),
                    "role": arrow.pick(("user", "lead"), self.lead.astype(np.int64)),
                    "created_at": arrow.ts(self.created_us),
                    "updated_at": arrow.ts(
                        np.where(seen, np.maximum(seen_us, self.created_us), self.created_us)
                    ),
                    "last_seen_at": arrow.ts(seen_us, seen),
                },
            ),
        )


def companies(acc: Accounts, p: DemoParams) -> pa.Table:
    """One Intercom company per account (orphans included), keyed by the account id."""
    rng = substream(p.seed, "intercom_companies")
    tl, n = acc.timeline, acc.n
    created_us = tl.us(acc.created_day, acc.created_sec) + rng.integers(1, 600, n) * US_PER_SECOND
    last = np.clip(acc.last_active_day(observed=True), acc.created_day, tl.observed_days - 1)
    updated_us = np.maximum(tl.us(last, rng.integers(0, 86_400, n)), created_us)
    updated_us = np.minimum(updated_us, tl.end_us - 1)
    plan = np.where(np.arange(n) < acc.n_billed, acc.plan, 3)
    return arrow.seen(
        acc.created_day < tl.observed_days,
        arrow.table(
            "intercom_companies",
            {
                "company_id": acc.key,
                "account_id": acc.key,
                "intercom_id": arrow.object_ids(created_us, rng),
                "name": acc.name,
                "plan_name": arrow.pick((*params.PLANS, "trial"), plan),
                "industry": arrow.pick(params.INDUSTRIES, acc.industry),
                "employee_count": arrow.ints(acc.employees),
                "account_owner": arrow.pick(params.CSM_NAMES, np.maximum(acc.owner, 0), acc.owner >= 0),
                "created_at": arrow.ts(created_us),
                "updated_at": arrow.ts(updated_us),
            },
        ),
    )


@dataclass(frozen=True)
class Tickets:
    """Support tickets as arrays (shared by the tickets table and the CSAT surveys)."""

    account: np.ndarray
    contact: np.ndarray
    priority: np.ndarray
    created_us: np.ndarray
    closed_us: np.ndarray  # when it is (or will be) resolved; after the window = still open
    health: np.ndarray
    stuck: np.ndarray


def simulate_tickets(acc: Accounts, contacts: Contacts, p: DemoParams) -> Tickets:
    """Tickets: more, more urgent and slower to resolve for unhealthy accounts."""
    rng = substream(p.seed, "intercom_tickets")
    tl = acc.timeline
    weeks = acc.health.shape[1]
    active = active_weeks(acc)
    size = (acc.seats / np.exp(np.log(acc.seats).mean())) ** 0.4
    age = np.arange(weeks)[None, :] * 7 + 3 - acc.created_day[:, None]
    onboarding = 1.0 + 0.8 * np.exp(-np.maximum(age, 0) / 30.0)
    rate = size[:, None] * onboarding * np.exp(-0.9 * acc.health.astype(np.float64))
    rate *= TICKETS_PER_WEEK / rate[active].mean() if active.any() else 0.0
    account, day = weekly_arrivals(rng, acc, np.where(active, rate, 0.0))
    n = len(account)
    h = acc.health_at(account, day)
    logits = np.asarray([0.9, 1.6, 0.1, -1.4])[None, :] + h[:, None] * np.asarray([0.5, 0.2, -0.5, -1.0])
    cum = np.cumsum(np.exp(logits), axis=1)
    priority = (rng.random(n)[:, None] * cum[:, -1:] > cum).sum(axis=1)
    created_us = tl.us(day, seconds_of_day(rng, acc, account, day))
    hours = np.asarray(RESOLUTION_HOURS)[priority] * np.exp(-0.3 * h + rng.normal(0, 0.8, n))
    stuck = rng.random(n) < _sigmoid(-3.2 - 1.0 * h)
    hours = np.where(stuck, hours * rng.uniform(10, 40, n) + 24 * 7, hours)
    closed_us = created_us + (hours * HOUR_US).astype(np.int64)
    return Tickets(
        account=account,
        contact=contacts.pick(rng, account, day),
        priority=priority,
        created_us=created_us,
        closed_us=closed_us,
        health=h,
        stuck=stuck,
    )


def tickets_table(acc: Accounts, contacts: Contacts, t: Tickets, p: DemoParams) -> pa.Table:
    """``intercom_tickets``: state, closing and rating as of the end of the window."""
    rng = substream(p.seed, "intercom_tickets", "table")
    end = acc.timeline.end_us
    n = len(t.account)
    resolved = t.closed_us < end
    elapsed = np.minimum(t.closed_us, end - 1) - t.created_us
    open_state = np.where(elapsed < 2 * HOUR_US, 0, np.where(rng.random(n) < 0.6, 1, 2))
    state = np.where(resolved, 3, open_state)
    updated = np.where(
        resolved,
        t.closed_us,
        t.created_us + (rng.random(n) * np.maximum(end - 1 - t.created_us, 0)).astype(np.int64),
    )
    # Ratings: lower for unhealthy accounts and slow resolutions.
    hours = (t.closed_us - t.created_us) / HOUR_US
    score = np.round(4.8 + 0.8 * t.health - 0.3 * np.log1p(hours / 24) + rng.normal(0, 0.8, n))
    rated = resolved & (rng.random(n) < 0.35)
    return arrow.seen(
        t.created_us < end,
        arrow.table(
            "intercom_tickets",
            {
                "ticket_id": arrow.numbered("", 1_000_001 + np.arange(n)),
                "account_id": pc.take(acc.key, pa.array(t.account)),
                "contact_id": pc.take(contacts.ids, pa.array(t.contact)),
                "category": "Customer",
                "title": arrow.pick(params.TICKET_TITLES, rng.integers(0, len(params.TICKET_TITLES), n)),
                "priority": arrow.pick(params.PRIORITIES, t.priority),
                "state": arrow.pick(("submitted", "in_progress", "waiting_on_customer", "resolved"), state),
                "created_at": arrow.ts(t.created_us),
                "updated_at": arrow.ts(updated),
                "closed_at": arrow.ts(t.closed_us, resolved),
                "rating": arrow.ints(np.clip(score, 1, 5), rated),
            },
        ),
    )


def conversations(acc: Accounts, contacts: Contacts, p: DemoParams) -> pa.Table:
    """CSM outreach (answered less by unhealthy accounts) and customer questions (answered by the team)."""
    rng = substream(p.seed, "intercom_conversations")
    tl = acc.timeline
    active = active_weeks(acc)
    enterprise = 1.0 + (acc.plan == 2) * 1.0
    h = acc.health.astype(np.float64)
    team_rate = np.where(active, TEAM_OUTREACH_PER_WEEK * enterprise[:, None] * np.exp(-0.15 * h), 0.0)
    customer_rate = np.where(active, CUSTOMER_CONVERSATIONS_PER_WEEK * np.exp(0.15 * h), 0.0)
    team = weekly_arrivals(rng, acc, team_rate)
    customer = weekly_arrivals(rng, acc, customer_rate)
    account = np.concatenate([team[0], customer[0]])
    day = np.concatenate([team[1], customer[1]])
    by_team = np.repeat([True, False], [len(team[0]), len(customer[0])])
    n = len(account)
    h_then = acc.health_at(account, day)
    created = tl.us(day, seconds_of_day(rng, acc, account, day))
    answer_p = np.where(by_team, _sigmoid(0.3 + 1.5 * h_then), 0.96)
    delay_hours = np.where(by_team, rng.lognormal(np.log(20), 1.0, n), rng.lognormal(np.log(2), 1.0, n))
    first_response = created + (delay_hours * HOUR_US).astype(np.int64)
    answered = (rng.random(n) < answer_p) & (first_response < tl.end_us)
    closed = np.where(answered, rng.random(n) < 0.92, tl.end_us - created > 14 * US_PER_DAY)
    updated = np.where(answered, first_response + rng.integers(0, 3 * 3600, n) * US_PER_SECOND, created)
    updated = np.minimum(updated, tl.end_us - 1)
    rated = ~by_team & answered & closed & (rng.random(n) < 0.25)
    rating = np.clip(np.round(4.6 + 0.8 * h_then + rng.normal(0, 0.8, n)), 1, 5)
    owner = acc.owner[account]
    agent = rng.integers(0, len(params.SUPPORT_AGENTS), n)
    csm_admin = arrow.numbered("", 7_000_001 + np.maximum(owner, 0))
    assignee = pc.if_else(
        pa.array(by_team),
        pc.if_else(pa.array(owner >= 0), csm_admin, pa.scalar(None, pa.string())),
        arrow.pick(params.SUPPORT_AGENTS, agent),
    )
    return arrow.seen(
        created < tl.end_us,
        arrow.table(
            "intercom_conversations",
            {
                "conversation_id": arrow.numbered("", 200_000_000_001 + np.arange(n)),
                "account_id": pc.take(acc.key, pa.array(account)),
                "contact_id": pc.take(contacts.ids, pa.array(contacts.pick(rng, account, day))),
                "initiated_by": arrow.pick(("customer", "team"), by_team.astype(np.int64)),
                "answered_by": arrow.pick(("team", "customer"), by_team.astype(np.int64), answered),
                "state": arrow.pick(("open", "closed"), closed.astype(np.int64)),
                "admin_assignee_id": assignee,
                "created_at": arrow.ts(created),
                "first_response_at": arrow.ts(first_response, answered),
                "updated_at": arrow.ts(updated),
                "rating": arrow.ints(rating, rated),
            },
        ),
    )


def survey_responses(acc: Accounts, contacts: Contacts, t: Tickets, p: DemoParams) -> pa.Table:
    """NPS about quarterly per account, CSAT after some resolved tickets."""
    rng = substream(p.seed, "intercom_survey_responses")
    tl = acc.timeline
    # NPS: one survey per account every ~quarter, from a random phase.
    slots = tl.days // NPS_EVERY_DAYS + 1
    phase = rng.integers(0, NPS_EVERY_DAYS, acc.n)
    day = phase[:, None] + NPS_EVERY_DAYS * np.arange(slots)[None, :] + rng.integers(0, 10, (acc.n, slots))
    account = np.repeat(np.arange(acc.n), slots)
    day = day.ravel()
    h = acc.health_at(account, np.minimum(day, tl.days - 1))
    sent = (day < tl.days) & acc.is_active(account, day)
    responds = sent & (rng.random(len(day)) < NPS_RESPONSE_RATE * (0.7 + 0.3 * _sigmoid(h)))
    account, day, h = account[responds], day[responds], h[responds]
    nps = np.clip(np.round(8.0 + 1.8 * h + rng.normal(0, 1.4, len(day))), 0, 10).astype(np.int64)
    nps_us = tl.us(day, seconds_of_day(rng, acc, account, day))
    nps_contact = contacts.pick(rng, account, day)

    # CSAT: shortly after some ticket closes, lower when unhealthy or the ticket was stuck.
    delay = (rng.uniform(0.1, 48, len(t.account)) * HOUR_US).astype(np.int64)
    csat_at = t.closed_us + delay
    # Which responses exist is the world's to say (ids and comments are drawn for them); when they are
    # seen, below.
    asked = (csat_at < tl.world_end_us) & (rng.random(len(t.account)) < CSAT_RESPONSE_RATE)
    csat = np.clip(np.round(4.9 + 0.8 * t.health - 1.2 * t.stuck + rng.normal(0, 0.8, len(t.account))), 1, 5)

    kind = np.repeat([0, 1], [len(nps), int(asked.sum())])
    score = np.concatenate([nps, csat[asked]]).astype(np.int64)
    responded = np.concatenate([nps_us, csat_at[asked]])
    who = np.concatenate([nps_contact, t.contact[asked]])
    whose = np.concatenate([account, t.account[asked]])
    order = np.argsort(responded, kind="stable")
    kind, score, responded, who, whose = (x[order] for x in (kind, score, responded, who, whose))
    n = len(order)
    band = np.where(score <= 6, 0, np.where(score <= 8, 1, 2))
    comments = [
        *params.NPS_COMMENTS["detractor"],
        *params.NPS_COMMENTS["passive"],
        *params.NPS_COMMENTS["promoter"],
    ]
    comment = band * 3 + rng.integers(0, 3, n)
    return arrow.seen(
        responded < tl.end_us,
        arrow.table(
            "intercom_survey_responses",
            {
                "response_id": arrow.numbered("resp_", 1 + np.arange(n), width=8),
                "survey_type": arrow.pick(("nps", "csat"), kind),
                "score": arrow.ints(score),
                "account_id": pc.take(acc.key, pa.array(whose)),
                "contact_id": pc.take(contacts.ids, pa.array(who)),
                "responded_at": arrow.ts(responded),
                "comment": arrow.pick(comments, comment, (kind == 0) & (rng.random(n) < 0.2)),
            },
        ),
    )


@dataclass
class IntercomSim:
    """Lazily built, cached Intercom simulations shared by several tables."""

    acc: Accounts
    p: DemoParams

    @cached_property
    def contacts(self) -> Contacts:
        """Contacts of every account (used by every Intercom table but companies)."""
        return Contacts(self.acc, self.p)

    @cached_property
    def tickets(self) -> Tickets:
        """Tickets (used by the tickets table and the CSAT surveys)."""
        return simulate_tickets(self.acc, self.contacts, self.p)
