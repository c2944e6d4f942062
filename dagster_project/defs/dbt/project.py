"""The dbt project, on its own so `dagster-dbt project prepare-and-package` can import it alone."""

import sys
from pathlib import Path

from dagster_dbt import DbtProject

DBT_DIR = Path(__file__).resolve().parents[3] / "dbt"

dbt_project = DbtProject(project_dir=DBT_DIR, profiles_dir=DBT_DIR)
# Under `dagster dev` only: re-parse so edits to models show up on reload. Elsewhere the
# manifest comes from `make` (dbt parse), so importing this module does no work.
dbt_project.prepare_if_dev()


def dbt_executable() -> str:
    """The dbt installed beside this Python (the project's venv), so PATH need not be activated."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else "dbt"
