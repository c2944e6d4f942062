"""What one view of the demo world changed since an earlier one: the rows a real source sends since a
cursor (Stripe's events of the day, Intercom's search by ``updated_at``), found by comparing the two
views, since the Stripe-shaped tables carry no time of their last change."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pyarrow.compute as pc


def changed_rows(con: duckdb.DuckDBPyConnection, before: pa.Table, now: pa.Table, key: str) -> pa.Table:
    """The rows of ``now`` whose ``key`` has a row that is new, changed or gone since ``before``.

    ``key`` is the id a landing merges by: the primary key, or the parent's id for parts (a
    subscription's items), so a parent with a changed part comes with all the parts it has now. Rows
    keep their order in ``now``, so the same two views give the same bytes. ``con`` is an in-memory
    DuckDB connection to compare in (one per extract: opening one costs more than a small table's
    comparison).
    """
    con.register("before_view", before)
    con.register("now_view", now)
    new_or_changed = "select * from now_view except select * from before_view"
    old_copies = "select * from before_view except select * from now_view"
    differing = con.sql(
        f'select "{key}" from ({new_or_changed}) as n union select "{key}" from ({old_copies}) as o'
    ).to_arrow_table()
    con.unregister("before_view")
    con.unregister("now_view")
    return now.filter(pc.is_in(now[key], value_set=differing.column(0)))
