"""Read JSON Lines files into a BatchBuilder: one object per line, bad lines quarantined with their number."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from dagster_project.sources.extract import Batch, SourceError
from dagster_project.sources.records import BatchBuilder

from .layout import relative


def lines(path: Path, root: Path) -> Iterator[tuple[int, str]]:
    """(line number, text) of every non-blank line; SourceError if the file is not UTF-8 or unreadable.

    Lines are split on ``\\n`` only, as JSON text never holds a raw newline, and
    decoded one by one so an encoding error names its line.
    """
    number = 0
    try:
        with path.open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                text = raw.decode("utf-8")
                if number == 1:
                    text = text.removeprefix("\ufeff")
                text = text.rstrip("\r\n")
                if text.strip():
                    yield number, text
    except UnicodeDecodeError as error:
        raise SourceError(
            f"files source: {relative(path, root)} is not valid UTF-8 text (line {number}, byte "
            f"{error.start}); re-export it as UTF-8 JSON Lines"
        ) from error
    except OSError as error:
        raise SourceError(
            f"files source: cannot read {relative(path, root)} ({error.strerror or error}); "
            "check the file and its permissions"
        ) from error


def read_jsonl(
    files: list[Path], root: Path, stem: str, builder: BatchBuilder, batch_size: int
) -> Iterator[dict[str, Batch]]:
    """Parse every line of ``files`` with ``builder``, yielding batches of about ``batch_size`` records.

    A reason starts with where the record is: ``<file> line N: ``, the file
    relative to the drop folder.
    """
    for path in files:
        name = relative(path, root)
        for number, text in lines(path, root):
            where = f"{name} line {number}: "
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as error:
                builder.quarantine(text, f"invalid JSON: {error.msg} (column {error.colno})", where)
            else:
                builder.add(obj, text, where)
            if builder.pending >= batch_size:
                yield builder.flush()
    yield builder.flush()
