"""The dbt CLI resource of the job: dagster-dbt's, told the dbt version instead of asking dbt for it."""

from __future__ import annotations

from functools import cached_property

from dagster_dbt import DbtCliResource
from dbt.version import __version__ as installed_dbt_version
from packaging import version

from dagster_project.defs.dbt.project import dbt_executable, dbt_project


class HealthDbtCli(DbtCliResource):
    """dagster-dbt's resource, but it does not run `dbt --version` before every dbt step.

    That command starts dbt and asks PyPI for its latest release: several seconds per step (a run has
    two dbt steps). The dbt on the job's PATH is the dbt-core installed beside this Python (pinned in
    pyproject.toml), so its version is known here.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(installed_dbt_version)


def dbt_cli() -> HealthDbtCli:
    """The resource for the project's dbt, run with the dbt installed beside this Python."""
    return HealthDbtCli(project_dir=dbt_project, dbt_executable=dbt_executable())
