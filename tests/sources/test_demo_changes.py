"""What the demo source finds changed between two views of its world (hand-made tables)."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest

from dagster_project.sources.demo.changes import changed_rows


@pytest.fixture
def con():
    with duckdb.connect() as connection:
        yield connection


def test_new_and_changed_rows_come_in_their_order_and_equal_ones_with_nulls_do_not(con):
    before = pa.table({"id": ["a", "b", "c"], "status": ["open", None, "paid"], "amount": [1, 2, 3]})
    now = pa.table(
        {"id": ["d", "a", "b", "c"], "status": ["open", "open", None, "void"], "amount": [4, 1, 2, 3]}
    )
    # b is unchanged although its status is null in both; c changed status; d is new.
    assert changed_rows(con, before, now, "id").to_pylist() == [
        {"id": "d", "status": "open", "amount": 4},
        {"id": "c", "status": "void", "amount": 3},
    ]


def test_a_parent_with_a_changed_or_missing_part_comes_with_all_its_parts_now(con):
    before = pa.table(
        {"line": ["l1", "l2", "l3", "l4"], "invoice": ["i1", "i1", "i2", "i2"], "qty": [1, 1, 5, 6]}
    )
    now = pa.table({"line": ["l1", "l2", "l3"], "invoice": ["i1", "i1", "i2"], "qty": [1, 1, 5]})
    # i2 lost its line l4: its remaining line comes, so a landing merging by invoice drops l4.
    assert changed_rows(con, before, now, "invoice").column("line").to_pylist() == ["l3"]
    # A day later l2's quantity changes: both of i1's lines come, and nothing of i2.
    later = now.set_column(2, "qty", pa.array([1, 2, 5]))
    assert changed_rows(con, now, later, "invoice").column("line").to_pylist() == ["l1", "l2"]


def test_the_same_view_twice_changes_nothing(con):
    view = pa.table({"id": ["a", "b"], "amount": [1.5, None]})
    assert changed_rows(con, view, view, "id").num_rows == 0
