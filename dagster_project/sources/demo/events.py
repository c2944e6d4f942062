"""Product usage events (Intercom data events), streamed in blocks of accounts to bound memory.

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
ROWS_PER_BATCH = 1_000_000  # expected rows per block of accounts
CELLS_PER_BATCH = 4_000_000  # account-days per block, which bounds memory when events are sparse
DAILY_NOISE_SHAPE = 2.5
MIN_FEATURES = 3

_NAMES = tuple(name for name, _ in params.EVENT_CATALOGUE)
_POPULARITY = np.cumsum([weight for _, weight in params.EVENT_CATALOGUE])
# Metadata choices: index 0 is "no metadata"; each name points at its own variants.
_META = (None, *(m for name in _NAMES for m in params.EVENT_METADATA.get(name, ())))
_META_COUNT = np.asarray([len(params.EVENT_METADATA.get(name, ())) for name in _NAMES])
_META_START = 1 + np.cumsum(_META_COUNT) - _META_COUNT
_WEEKDAY = np.asarray(params.WEEKDAY_ACTIVITY) / np.mean(params.WEEKDAY_ACTIVITY)


def accounts_per_block(p: DemoParams) -> int:
    """Accounts per block: about ``ROWS_PER_BATCH`` events, at most ``CELLS_PER_BATCH`` account-days."""
    by_rows = ROWS_PER_BATCH / max(p.events_per_account_day * p.world_days, 1.0)
    return max(1, int(min(by_rows, CELLS_PER_BATCH / p.world_days)))


def event_batches(
    acc: Accounts, contacts: Contacts, p: DemoParams, from_day: int | None = None
) -> Iterator[pa.Table]:
    """Yield the events seen (those of the days from ``from_day``, when given) block by block of
    accounts, one block in memory at a time."""
    # Account-level habits that must not depend on how accounts are split into blocks.
    breadth_bias = substream(p.seed, TABLE, "breadth").normal(0, 0.5, acc.n)
    block = accounts_per_block(p)
    first_id, emitted = 1, False
    for b, a0 in enumerate(range(0, acc.n, block)):
        accounts = np.arange(a0, min(a0 + block, acc.n))
        rows, simulated = _block(acc, contacts, p, accounts, breadth_bias, b, first_id, from_day)
        # Ids count every event of the world, so an event keeps its id whatever day the world is seen from.
        first_id += simulated
        if rows.num_rows:
            emitted = True
            yield rows
    if not emitted:  # no events at all: still say what the table looks like
        yield RAW_TABLES[TABLE].empty()


def _block(
    acc: Accounts,
    contacts: Contacts,
    p: DemoParams,
    accounts: np.ndarray,
    breadth_bias: np.ndarray,
    block_no: int,
    first_id: int,
    from_day: int | None,
) -> tuple[pa.Table, int]:
    """The block's events seen (from ``from_day``) and how many the world holds."""
    rng = substream(p.seed, TABLE, block_no)
    tl, days = acc.timeline, p.world_days
    # Account-day cells.
    cell_account = np.repeat(accounts, days)
    cell_day = np.tile(np.arange(days), len(accounts))
    expected = acc.engagement(cell_account, cell_day) / acc.engagement_norm
    expected *= p.events_per_account_day * _WEEKDAY[tl.weekday(cell_day)]
    noise = rng.gamma(DAILY_NOISE_SHAPE, 1.0 / DAILY_NOISE_SHAPE, len(cell_day))
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
    account, day = cell_account[cell], cell_day[cell]
    name = np.searchsorted(_POPULARITY, rng.random(n) * _POPULARITY[features[cell] - 1], side="right")
    contact = contacts.pick(rng, account, day, depth[cell])
    occurred = tl.us(day, seconds_of_day(rng, acc, account, day)) + rng.integers(0, 1000, n) * 1000
    variant = _META_START[name] + (rng.random(n) * _META_COUNT[name]).astype(np.int64)
    metadata = np.where(_META_COUNT[name] > 0, variant, 0)
    seen = np.flatnonzero((day < tl.observed_days) & (day >= (from_day or 0)))
    rows = arrow.table(
        TABLE,
        {
            "event_id": arrow.numbered("evt_", first_id + seen),
            "event_name": arrow.pick(_NAMES, name[seen]),
            "occurred_at": arrow.ts(occurred[seen]),
            "contact_id": pc.take(contacts.ids, pa.array(contact[seen])),
            "account_id": pc.take(acc.key, pa.array(account[seen])),
            "metadata": arrow.pick(_META, metadata[seen]),
        },
    )
    return rows, n
