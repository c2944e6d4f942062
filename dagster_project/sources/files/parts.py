"""Which files of a drop a table was landed from, kept as its sync cursor.

A file is known by its path in the drop, its size and its modification time (as ``make`` and ``rsync``
know a file): reading every landed file again to hash it would cost what incremental loading saves. A
file rewritten in place with the same size within the same nanosecond would go unnoticed; exports do not
do that.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .layout import relative

# Marks a cursor written by this source, so an api cursor (a timestamp) is never taken for one.
_FORMAT = "files/1"


@dataclass(frozen=True)
class LandedParts:
    """The files of one kind in the drop now: path in the drop -> (file, ``size:mtime_ns``)."""

    files: dict[str, tuple[Path, str]]

    @classmethod
    def of(cls, paths: list[Path], root: Path) -> LandedParts:
        found = {}
        for path in paths:
            stat = path.stat()
            found[relative(path, root)] = (path, f"{stat.st_size}:{stat.st_mtime_ns}")
        return cls(found)

    def cursor(self) -> str:
        """What to store once these files are landed."""
        fingerprints = {name: fingerprint for name, (_, fingerprint) in self.files.items()}
        return json.dumps({"format": _FORMAT, "files": fingerprints}, sort_keys=True)

    def added_since(self, cursor: str | None) -> list[Path] | None:
        """The files added since the load that stored ``cursor``, in name order, when every file landed
        then is still here unchanged; None when the table must be landed again from every file (no
        earlier load by this source, or a landed file changed or gone)."""
        landed = _landed(cursor)
        if landed is None:
            return None
        for name, fingerprint in landed.items():
            if name not in self.files or self.files[name][1] != fingerprint:
                return None
        return [path for name, (path, _) in self.files.items() if name not in landed]


def _landed(cursor: str | None) -> dict[str, str] | None:
    if not cursor:
        return None
    try:
        stored = json.loads(cursor)
    except json.JSONDecodeError:
        return None
    if not isinstance(stored, dict) or stored.get("format") != _FORMAT:
        return None
    files = stored.get("files")
    return files if isinstance(files, dict) else None
