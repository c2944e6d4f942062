"""The dbt CLI resource of the job: dagster-dbt's, told the dbt version instead of asking dbt for it,
and without the handle to dbt's adapter that it opens in this process before each dbt step."""

from __future__ import annotations

from collections.abc import Sequence
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

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:
        # dagster-dbt loads dbt's profile and adapter into this process before starting each dbt step
        # (1.8 s for the first, 0.5 s after), only for `fetch_row_counts()` and `fetch_column_metadata()`,
        # which the job does not call: it describes the tables it publishes itself (assets.py,
        # `_described`). dagster-dbt takes None, as it does for dbt Fusion, which has no adapter.
        return None


def dbt_cli() -> HealthDbtCli:
    """The resource for the project's dbt, run with the dbt installed beside this Python."""
    return HealthDbtCli(project_dir=dbt_project, dbt_executable=dbt_executable())
