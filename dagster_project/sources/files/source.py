"""The ``files`` source: a drop folder of exports, landed whole the first time, then part by part.

A table's sync cursor remembers the files it was landed from (``parts.LandedParts``). When every one of
them is still in the drop as it was, only the files added since are read and merged by id (mode
``upsert``): a new day's part of events lands only that day. When one was changed or removed, the drop
is a new snapshot and the table is replaced from every file in it (mode ``replace``), as on the first
load.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from dagster_project.sources.extract import Batch, SourceError, TableExtract
from dagster_project.sources.raw_tables import requested_tables
from dagster_project.sources.records import (
    KIND_OF_TABLE,
    BatchBuilder,
    Directory,
    FanOut,
    at_least_one,
    kinds,
)
from dagster_project.sources.records.kinds import RecordKind

from .events_sql import read_event_file
from .jsonl import lines, read_jsonl
from .layout import ENTRY_OF_KIND, JSONL, PRICES_STEM, DropEntry, check_readable, files_of, relative
from .parts import LandedParts

# The kinds whose rows other kinds look accounts up in, in the order they must be learned.
_LOOKUPS: dict[str, tuple[RecordKind, ...]] = {
    kinds.SUBSCRIPTION.name: (kinds.CUSTOMER,),
    kinds.INVOICE.name: (kinds.CUSTOMER,),
    kinds.CONTACT.name: (kinds.COMPANY,),
    kinds.CONVERSATION.name: (kinds.COMPANY, kinds.CONTACT),
    kinds.TICKET.name: (kinds.COMPANY, kinds.CONTACT),
    kinds.EVENT.name: (kinds.COMPANY, kinds.CONTACT),
    kinds.SURVEY_RESPONSE.name: (kinds.COMPANY, kinds.CONTACT),
}


class FilesSource:
    """Reads a drop folder laid out as in docs/files_source.md.

    ``extract`` yields one extract per requested table: ``upsert`` of the files
    added since the table's last load when every file landed then is still
    there unchanged, else ``replace`` from every file; its cursor names the
    files the table now holds. Before yielding anything it fails with
    SourceError when the folder or a required file (Stripe customers,
    subscriptions) is missing, or a file cannot be opened; an absent optional
    file gives an empty table. Each file is read once per run however many
    tables it fills.
    """

    name = "files"

    def __init__(self, directory: Path | str, batch_size: int = 10_000) -> None:
        self.directory = Path(directory)
        self.batch_size = batch_size

    def extract(self, tables: list[str], cursors: dict[str, str]) -> Iterator[TableExtract]:
        """One extract per table in ``tables``; ``cursors`` says which files each table was landed from."""
        requested = requested_tables(tables)
        files = self._check(requested)
        directory = Directory()
        learned: set[str] = set()
        # Per kind: its one pass over the files read, the files in the drop now, the new ones (None: all).
        passes: dict[str, tuple[FanOut, LandedParts, list[Path] | None]] = {}
        for table in requested:
            kind = KIND_OF_TABLE[table]
            entry = ENTRY_OF_KIND[kind.name]
            if kind.name not in passes:
                wanted = [t for t in requested if KIND_OF_TABLE[t] is kind]
                present = LandedParts.of(files[kind.name], self.directory)
                # One pass reads the kind for all its tables: parts only when they hold the same files.
                landed = {cursors.get(t) for t in wanted}
                new = present.added_since(landed.pop()) if len(landed) == 1 else None
                to_read = files[kind.name] if new is None else new
                fanout = FanOut(self._read(entry, to_read, wanted, directory, learned), wanted)
                passes[kind.name] = (fanout, present, new)
            fanout, present, new = passes[kind.name]
            read = files[kind.name] if new is None else new
            origin = ", ".join(relative(p, self.directory) for p in read) or (
                entry.describe() if new is None else f"{entry.describe()}: no file added since the last load"
            )
            yield TableExtract(
                table=table,
                batches=at_least_one(table, fanout.batches(table)),
                mode="replace" if new is None else "upsert",
                cursor=present.cursor(),
                origin=origin,
            )

    def _check(self, requested: list[str]) -> dict[str, list[Path]]:
        """The files of each requested kind; SourceError if the folder or a required file is missing."""
        if not self.directory.is_dir():
            raise SourceError(
                f"files source: the drop folder {self.directory} does not exist or is not a folder; "
                "point the files source at the folder holding stripe/ and intercom/ (docs/files_source.md)"
            )
        found: dict[str, list[Path]] = {}
        for table in requested:
            entry = ENTRY_OF_KIND[KIND_OF_TABLE[table].name]
            if entry.kind.name in found:
                continue
            paths = entry.files(self.directory)
            if entry.required and not paths:
                raise SourceError(
                    f"files source: required file {entry.stem}.jsonl is missing in {self.directory}; "
                    f"export {entry.export_hint} to that path (docs/files_source.md)"
                )
            for path in paths:
                check_readable(path, self.directory)
            found[entry.kind.name] = paths
        return found

    def _read(
        self, entry: DropEntry, paths: list[Path], wanted: list[str], directory: Directory, learned: set[str]
    ) -> Iterator[dict[str, Batch]]:
        """The single pass over one kind's files, after learning the lookups it needs."""
        if entry.kind in (kinds.SUBSCRIPTION, kinds.INVOICE):
            self._learn_prices(directory, learned)
        for lookup in _LOOKUPS.get(entry.kind.name, ()):
            self._learn(lookup, directory, learned)
        builder = BatchBuilder(entry.kind, directory, wanted)
        jsonl = [p for p in paths if p.suffix == ".jsonl"]
        yield from read_jsonl(jsonl, self.directory, entry.stem, builder, self.batch_size)
        for path in paths:
            if path.suffix in (".csv", ".parquet"):
                for batch in read_event_file(
                    path, path.suffix[1:], self.directory, directory.contact_accounts, self.batch_size
                ):
                    yield {entry.kind.table: batch}

    def _learn_prices(self, directory: Directory, learned: set[str]) -> None:
        """The price catalogue, when the drop has one; a line that is not a JSON object fails the run."""
        if PRICES_STEM in learned:
            return
        learned.add(PRICES_STEM)
        for path in files_of(self.directory, PRICES_STEM, JSONL):
            check_readable(path, self.directory)
            for number, text in lines(path, self.directory):
                try:
                    obj = json.loads(text)
                except json.JSONDecodeError as error:
                    obj = error
                if not (isinstance(obj, dict) and isinstance(obj.get("id"), str)):
                    raise SourceError(
                        f"files source: {relative(path, self.directory)} line {number} is not a Stripe "
                        "price object with an id; fix or remove that line (the catalogue prices invoice "
                        "lines, so a bad entry would change MRR)"
                    )
                directory.add_price(obj)

    def _learn(self, kind: RecordKind, directory: Directory, learned: set[str]) -> None:
        """Fill the directory from one kind's files (its bad records are reported by its own extract)."""
        if kind.name in learned:
            return
        learned.add(kind.name)
        for lookup in _LOOKUPS.get(kind.name, ()):
            self._learn(lookup, directory, learned)
        entry = ENTRY_OF_KIND[kind.name]
        builder = BatchBuilder(kind, directory, tables=())
        for _ in read_jsonl(
            entry.files(self.directory), self.directory, entry.stem, builder, self.batch_size
        ):
            pass
