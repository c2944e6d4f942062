"""Where the copy for BI tools goes: ``HEALTH_PUBLISH_DIR``, read at run time."""

from pathlib import Path

import dagster as dg

from dagster_project.settings import DEFAULT_PUBLISH_DIR, absolute, env_or


class PublishFolder(dg.ConfigurableResource):
    """The folder BI tools read (``path``, else ``HEALTH_PUBLISH_DIR``, else ``data/published``)."""

    path: str | None = None

    @property
    def folder(self) -> Path:
        return absolute(self.path or env_or("HEALTH_PUBLISH_DIR", DEFAULT_PUBLISH_DIR))
