"""Record parsers shared by the files and api sources: one API object in, canonical raw rows out.

A dump of the APIs is a valid files drop because both sources parse the same
objects with the same code. A record that fails validation becomes a
QuarantinedRecord with a readable reason; nothing is dropped.
"""

from .arrow import rows_to_table
from .batches import BatchBuilder, at_least_one
from .directory import Directory
from .fanout import FanOut
from .fields import RecordError
from .kinds import KIND_OF_TABLE, KINDS, RecordKind

__all__ = [
    "KINDS",
    "KIND_OF_TABLE",
    "BatchBuilder",
    "Directory",
    "FanOut",
    "RecordError",
    "RecordKind",
    "at_least_one",
    "rows_to_table",
]
