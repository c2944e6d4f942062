"""Vectorised builders of Arrow columns: ids, joined strings, timestamps and contract-shaped tables."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dagster_project.sources.raw_tables import RAW_TABLES

_BASE62 = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", np.uint8)
_HEX = np.frombuffer(b"0123456789abcdef", np.uint8)


def _from_char_matrix(chars: np.ndarray) -> pa.Array:
    """A string array from an (n, width) matrix of ASCII codes, without a Python object per row."""
    n, width = chars.shape
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32 if n * width < 2**31 else np.int64)
    data = pa.py_buffer(np.ascontiguousarray(chars, np.uint8).tobytes())
    array_type = pa.string() if offsets.dtype == np.int32 else pa.large_string()
    arr = pa.Array.from_buffers(array_type, n, [None, pa.py_buffer(offsets.tobytes()), data])
    return arr.cast(pa.string())


def _digits(values: np.ndarray, width: int, alphabet: np.ndarray) -> np.ndarray:
    base = len(alphabet)
    values = np.asarray(values, np.uint64).copy()
    out = np.empty((len(values), width), np.uint8)
    for col in range(width - 1, -1, -1):
        out[:, col] = alphabet[(values % base).astype(np.intp)]
        values //= base
    return out


def stripe_ids(prefix: str, rng: np.random.Generator, n: int) -> pa.Array:
    """Stripe-looking ids (``cus_`` + 14 base62 chars): 8 random chars, then the scrambled row number.

    The row number goes through a bijection of [0, 62**6), so ids are unique by construction.
    """
    random_part = _BASE62[rng.integers(0, 62, size=(n, 8))]
    shift = int(rng.integers(0, 62**6))
    serial = _digits((np.arange(n, dtype=np.int64) * 2_654_435_761 + shift) % 62**6, 6, _BASE62)
    return concat(prefix, _from_char_matrix(np.hstack([random_part, serial])))


def object_ids(created_us: np.ndarray, rng: np.random.Generator) -> pa.Array:
    """Intercom-looking 24-hex ids: creation second, 40 random bits, a row counter (unique below 16.7M)."""
    n = len(created_us)
    seconds = _digits(np.asarray(created_us, np.int64) // 1_000_000, 8, _HEX)
    random_part = _digits(rng.integers(0, 2**40, size=n, dtype=np.uint64), 10, _HEX)
    counter = _digits(np.arange(n) % 16**6, 6, _HEX)
    return _from_char_matrix(np.hstack([seconds, random_part, counter]))


def numbered(prefix: str, numbers: np.ndarray, width: int = 0) -> pa.Array:
    """``prefix`` + the number (zero-padded to ``width``), e.g. ``acct_000123``."""
    if width:
        return concat(prefix, _from_char_matrix(_digits(numbers, width, _BASE62[:10])))
    return concat(prefix, pc.cast(pa.array(np.asarray(numbers, np.int64)), pa.string()))


def concat(*parts: pa.Array | str, sep: str = "") -> pa.Array:
    """Element-wise string concatenation of arrays and constants."""
    return pc.binary_join_element_wise(*parts, sep)


def pick(choices: Sequence[str | None], index: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """``choices[index]`` as a string array; null where ``valid`` is false or the choice is None."""
    taken = pc.take(pa.array(list(choices), pa.string()), pa.array(np.asarray(index, np.int64)))
    if valid is None:
        return taken
    return pc.if_else(pa.array(valid), taken, pa.scalar(None, pa.string()))


def ts(values_us: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """A naive UTC microsecond timestamp array; null where ``valid`` is false."""
    mask = None if valid is None else ~np.asarray(valid, bool)
    return pa.array(np.asarray(values_us, np.int64), pa.timestamp("us"), mask=mask)


def ints(values: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """An int64 array; null where ``valid`` is false."""
    mask = None if valid is None else ~np.asarray(valid, bool)
    return pa.array(np.asarray(values, np.int64), pa.int64(), mask=mask)


def bools(values: np.ndarray) -> pa.Array:
    """A boolean array."""
    return pa.array(np.asarray(values, bool), pa.bool_())


def table(name: str, columns: dict[str, pa.Array | str | None]) -> pa.Table:
    """A table in the contract schema of raw table ``name``; a str or None column is repeated."""
    schema = RAW_TABLES[name].arrow_schema
    if list(columns) != schema.names:
        raise ValueError(f"{name}: columns {list(columns)} differ from the contract {schema.names}")
    lengths = {len(c) for c in columns.values() if isinstance(c, pa.Array)}
    if len(lengths) != 1:
        raise ValueError(f"{name}: columns of different lengths {lengths}")
    n = lengths.pop()
    arrays = []
    for field in schema:
        col = columns[field.name]
        if not isinstance(col, pa.Array):
            col = pa.repeat(pa.scalar(col, field.type), n) if col is not None else pa.nulls(n, field.type)
        arrays.append(col.cast(field.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def seen(mask: np.ndarray, table: pa.Table) -> pa.Table:
    """The rows of ``table`` that exist by the end of the last day seen (all when the world ends then)."""
    return table if mask.all() else table.filter(pa.array(mask))
