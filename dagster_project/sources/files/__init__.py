"""The ``files`` source: a folder of exports (JSON Lines of API objects; events also CSV or Parquet)."""

from .source import FilesSource

__all__ = ["FilesSource"]
