"""The copy BI tools read: every published table, swapped in whole so readers never wait or see half."""

from dagster_project.publishing.copy import PublishedCopy, publish_copy

__all__ = ["PublishedCopy", "publish_copy"]
