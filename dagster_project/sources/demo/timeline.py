"""The simulated time axis: integer day numbers from the window start, calendar months, microseconds.

Day 0 is the first day of the window. The world is simulated over ``days``
days; a source that looks at it sees only its first ``observed_days`` (day
``observed_days - 1`` is ``end_date``): every status is the one seen at the
end of that day, and nothing at or after it is emitted. Days before 0 exist
(accounts created before the window). Billing periods follow Stripe's rule: the same day of
month as the anchor, clipped to the month's last day.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

US_PER_DAY = 86_400_000_000
US_PER_SECOND = 1_000_000
_EPOCH = np.datetime64("1970-01-01", "D")


class Timeline:
    """Converts between window day numbers, calendar dates and epoch microseconds."""

    def __init__(self, start_date: dt.date, days: int, observed_days: int | None = None) -> None:
        self.days = days
        self.observed_days = days if observed_days is None else observed_days
        self.start = np.datetime64(start_date, "D")
        self.start_epoch_day = int((self.start - _EPOCH).astype(np.int64))
        # The first microsecond after what is observed: every emitted timestamp is below it.
        self.end_us = (self.start_epoch_day + self.observed_days) * US_PER_DAY
        self.world_end_us = (self.start_epoch_day + days) * US_PER_DAY

    def us(self, day: np.ndarray, second: np.ndarray | int = 0) -> np.ndarray:
        """Epoch microseconds of ``day`` (window day number) plus ``second`` seconds."""
        return (np.asarray(day, np.int64) + self.start_epoch_day) * US_PER_DAY + np.asarray(
            second, np.int64
        ) * US_PER_SECOND

    def dates(self, day: np.ndarray) -> np.ndarray:
        """Calendar dates (``datetime64[D]``) of window day numbers."""
        return self.start + np.asarray(day, np.int64)

    def weekday(self, day: np.ndarray) -> np.ndarray:
        """Monday = 0."""
        return (np.asarray(day, np.int64) + self.start_epoch_day + 3) % 7

    def add_months(self, anchor_day: np.ndarray, months: np.ndarray) -> np.ndarray:
        """Day number ``months`` calendar months after ``anchor_day``, on the anchor's day of month."""
        anchor = self.dates(anchor_day)
        month0 = anchor.astype("datetime64[M]")
        dom = (anchor - month0.astype("datetime64[D]")).astype(np.int64)
        target = month0 + np.asarray(months, np.int64)
        first = target.astype("datetime64[D]")
        month_len = ((target + 1).astype("datetime64[D]") - first).astype(np.int64)
        return (first + np.minimum(dom, month_len - 1) - self.start).astype(np.int64)

    def months_between(self, anchor_day: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Whole calendar months from ``anchor_day`` to ``day`` (negative before the anchor)."""
        a, d = self.dates(anchor_day), self.dates(day)
        am, dm = a.astype("datetime64[M]"), d.astype("datetime64[M]")
        months = (dm - am).astype(np.int64)
        # One month less when the day of month has not been reached yet (clipping aware).
        return months - (self.add_months(anchor_day, months) > np.asarray(day, np.int64))

    def next_renewal(
        self, anchor_day: np.ndarray, interval_months: np.ndarray, day: np.ndarray
    ) -> np.ndarray:
        """The first period start strictly after ``day`` for periods anchored at ``anchor_day``."""
        elapsed = np.maximum(self.months_between(anchor_day, day), -1)
        k = np.floor_divide(elapsed, interval_months) + 1
        nxt = self.add_months(anchor_day, k * interval_months)
        return np.where(np.asarray(day) < anchor_day, anchor_day, nxt)
