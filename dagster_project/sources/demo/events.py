"""Product usage events (Intercom data events), streamed in batches of days to bound memory, each day
drawn from its own random stream.

Per active account-day the number of events is Poisson around
``events_per_account_day`` x the account's engagement (size, habit,
onboarding ramp, latent health, less after asking to cancel) x the weekday,
with gamma day-to-day noise. Each event comes from one of the account's
joined users: unhealthy accounts concentrate on fewer users (depth). Event
names are drawn by popularity among the features the account has reached:
breadth grows with health and maturity.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dagster_project.sources.demo import arrow, params
from dagster_project.sources.demo.accounts import Accounts
from dagster_project.sources.demo.intercom import Contacts, seconds_of_day
from dagster_project.sources.demo.params import DemoParams, substream
from dagster_project.sources.raw_tables import RAW_TABLES

TABLE = "intercom_events"
ROWS_PER_BATCH = 1_000_000  # expected rows per batch of days
CELLS_PER_BATCH = 4_000_000  # account-days per batch, which bounds memory when events are sparse
DAILY_NOISE_SHAPE = 2.5
MIN_FEATURES = 3
# An event's id is its day's number times this, plus its place in the day: the same whatever day the
# world is seen from, and whichever days are generated.
EVENTS_PER_DAY_ID_SPACE = 100_000_000

_NAMES = tuple(name for name, _ in params.EVENT_CATALOGUE)
_POPULARITY = np.cumsum([weight for _, weight in params.EVENT_CATALOGUE])
# Metadata choices: index 0 is "no metadata"; each name points at its own variants.
_META = (None, *(m for name in _NAMES for m in params.EVENT_METADATA.get(name, ())))
_META_COUNT = np.asarray([len(params.EVENT_METADATA.get(name, ())) for name in _NAMES])
_META_START = 1 + np.cumsum(_META_COUNT) - _META_COUNT
_WEEKDAY = np.asarray(params.WEEKDAY_ACTIVITY) / np.mean(params.WEEKDAY_ACTIVITY)


def days_per_batch(p: DemoParams, accounts: int) -> int:
    """Days per batch: about ``ROWS_PER_BATCH`` events, at most ``CELLS_PER_BATCH`` account-days."""
    accounts = max(accounts, 1)
    by_rows = ROWS_PER_BATCH / max(p.events_per_account_day * accounts, 1.0)
    return max(1, int(min(by_rows, CELLS_PER_BATCH / accounts)))


def event_batches(
    acc: Accounts, contacts: Contacts, p: DemoParams, from_day: int | None = None
) -> Iterator[pa.Table]:
    """Yield the events seen (those of the days from ``from_day``, when given) batch by batch of days.

    Each day's events come from that day's own random stream, so a later load generates only the days
    it delivers, and they are the events a whole load of the same world holds for those days."""
    # Account-level habits that must not depend on which days are generated.
    breadth_bias = substream(p.seed, TABLE, "breadth").normal(0, 0.5, acc.n)
    seen_days = acc.timeline.observed_days
    step = days_per_batch(p, acc.n)
    emitted = False
    for first in range(from_day or 0, seen_days, step):
        days = [
            _day(acc, contacts, p, day, breadth_bias) for day in range(first, min(first + step, seen_days))
        ]
        rows = _table(acc, contacts, days)
        if rows.num_rows:
            emitted = True
            yield rows
    if not emitted:  # no events at all: still say what the table looks like
        yield RAW_TABLES[TABLE].empty()


def _day(
    acc: Accounts, contacts: Contacts, p: DemoParams, day: int, breadth_bias: np.ndarray
) -> dict[str, np.ndarray]:
    """The events of ``day`` for every account, as arrays: number, name, time, contact, account and
    metadata indexes."""
    rng = substream(p.seed, TABLE, "day", day)
    tl = acc.timeline
    # Account cells of the day.
    cell_account = np.arange(acc.n)
    cell_day = np.full(acc.n, day)
    expected = acc.engagement(cell_account, cell_day) / acc.engagement_norm
    expected *= p.events_per_account_day * _WEEKDAY[tl.weekday(cell_day)]
    noise = rng.gamma(DAILY_NOISE_SHAPE, 1.0 / DAILY_NOISE_SHAPE, acc.n)
    counts = rng.poisson(expected * noise)
    live = np.flatnonzero(counts)
    cell_account, cell_day, counts = cell_account[live], cell_day[live], counts[live]
    h = acc.health_at(cell_account, cell_day)
    depth = acc.depth(cell_account, cell_day)
    maturity = 1.0 - np.exp(-np.maximum(cell_day - acc.created_day[cell_account], 0) / 60.0)
    reach = 1.0 / (1.0 + np.exp(-(1.2 * h + 1.5 * maturity - 1.0 + breadth_bias[cell_account])))
    features = MIN_FEATURES + np.round((len(_NAMES) - MIN_FEATURES) * reach).astype(np.int64)

    # Events.
    cell = np.repeat(np.arange(len(counts)), counts)
    n = len(cell)
    account, days = cell_account[cell], cell_day[cell]
    name = np.searchsorted(_POPULARITY, rng.random(n) * _POPULARITY[features[cell] - 1], side="right")
    contact = contacts.pick(rng, account, days, depth[cell])
    occurred = tl.us(days, seconds_of_day(rng, acc, account, days)) + rng.integers(0, 1000, n) * 1000
    variant = _META_START[name] + (rng.random(n) * _META_COUNT[name]).astype(np.int64)
    return {
        "number": day * EVENTS_PER_DAY_ID_SPACE + np.arange(n),
        "name": name,
        "occurred": occurred,
        "contact": contact,
        "account": account,
        "metadata": np.where(_META_COUNT[name] > 0, variant, 0),
    }


def _table(acc: Accounts, contacts: Contacts, days: list[dict[str, np.ndarray]]) -> pa.Table:
    """The rows of some days' events."""
    column = {key: np.concatenate([d[key] for d in days]) for key in days[0]}
    return arrow.table(
        TABLE,
        {
            "event_id": arrow.numbered("evt_", column["number"]),
            "event_name": arrow.pick(_NAMES, column["name"]),
            "occurred_at": arrow.ts(column["occurred"]),
            "contact_id": pc.take(contacts.ids, pa.array(column["contact"])),
            "account_id": pc.take(acc.key, pa.array(column["account"])),
            "metadata": arrow.pick(_META, column["metadata"]),
        },
    )
