"""Where each kind of record lives in a files drop, and which of them must be there.

Each entry is a path without extension. It may be one file
(``stripe/invoices.jsonl``) or a folder of parts (``stripe/invoices/*.jsonl``),
read in name order. Data events may also be CSV or Parquet. docs/files_source.md
describes every file and field.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dagster_project.sources.extract import SourceError
from dagster_project.sources.records import kinds
from dagster_project.sources.records.kinds import RecordKind


@dataclass(frozen=True)
class DropEntry:
    """One kind of record in the drop: where it is, in which formats, and whether it is required."""

    kind: RecordKind
    stem: str
    formats: tuple[str, ...]
    required: bool
    # What to export there, for the message when it is missing.
    export_hint: str

    def files(self, root: Path) -> list[Path]:
        """The files holding this entry: ``<stem>.<fmt>`` and ``<stem>/*.<fmt>``, in name order."""
        return files_of(root, self.stem, self.formats)

    def describe(self) -> str:
        names = " or ".join(f"{self.stem}.{fmt}" for fmt in self.formats)
        return f"{names} (or a folder {self.stem}/ of such files)"


JSONL = ("jsonl",)

# The Stripe price catalogue (``GET /v1/prices?expand[]=data.tiers``, one price per line): optional, and
# no table of its own. Lines of API versions from 2025-03-31 name their price by id only, and tiered
# prices list their tiers only there.
PRICES_STEM = "stripe/prices"


def files_of(root: Path, stem: str, formats: tuple[str, ...]) -> list[Path]:
    """The files of ``stem``: ``<stem>.<fmt>`` and ``<stem>/*.<fmt>``, in name order."""
    found: list[Path] = []
    for fmt in formats:
        single = root / f"{stem}.{fmt}"
        if single.is_file():
            found.append(single)
        elif single.exists() or single.is_symlink():
            # A folder (or a broken link) where a file belongs: never read as "absent", which would
            # replace a good table with an empty one.
            raise SourceError(
                f"files source: {stem}.{fmt} in {root} is not a readable file (a folder, or a link to "
                f"nothing); put the export in that file, or its parts in a folder {stem}/ "
                "(docs/files_source.md)"
            )
    folder = root / stem
    if folder.is_dir():
        found.extend(sorted(p for p in folder.iterdir() if p.is_file() and p.suffix[1:] in formats))
    elif folder.exists():
        raise SourceError(
            f"files source: {stem} in {root} is a file without an extension; name it {stem}.{formats[0]} "
            f"or make it a folder {stem}/ of parts (docs/files_source.md)"
        )
    return found


LAYOUT: tuple[DropEntry, ...] = (
    DropEntry(
        kinds.CUSTOMER,
        "stripe/customers",
        JSONL,
        True,
        "one Stripe customer object per line (GET /v1/customers)",
    ),
    DropEntry(
        kinds.SUBSCRIPTION,
        "stripe/subscriptions",
        JSONL,
        True,
        "one Stripe subscription object per line, items included (GET /v1/subscriptions?status=all)",
    ),
    DropEntry(
        kinds.INVOICE, "stripe/invoices", JSONL, False, "one Stripe invoice object per line, lines included"
    ),
    DropEntry(kinds.COMPANY, "intercom/companies", JSONL, False, "one Intercom company object per line"),
    DropEntry(kinds.CONTACT, "intercom/contacts", JSONL, False, "one Intercom contact object per line"),
    DropEntry(
        kinds.CONVERSATION, "intercom/conversations", JSONL, False, "one Intercom conversation per line"
    ),
    DropEntry(kinds.TICKET, "intercom/tickets", JSONL, False, "one Intercom ticket object per line"),
    DropEntry(kinds.EVENT, "intercom/events", ("jsonl", "csv", "parquet"), False, "data events"),
    DropEntry(kinds.SURVEY_RESPONSE, "intercom/surveys", JSONL, False, "one survey response per line"),
)

ENTRY_OF_KIND: dict[str, DropEntry] = {e.kind.name: e for e in LAYOUT}


def check_readable(path: Path, root: Path) -> None:
    """SourceError naming the file when it cannot be opened (permissions, a broken link...)."""
    try:
        with path.open("rb") as handle:
            handle.read(1)
    except OSError as error:
        raise SourceError(
            f"files source: cannot read {relative(path, root)} ({error.strerror or error}); "
            "make it a readable file for the user running the job, or remove it from the drop"
        ) from error


def relative(path: Path, root: Path) -> str:
    """The path as named in messages: relative to the drop folder."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)
