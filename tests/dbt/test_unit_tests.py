"""dbt's unit tests run here, in CI: the daily job leaves them out (they test SQL, not the day's data)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import DBT_DIR


def test_every_dbt_unit_test_passes(demo_run, tmp_path):
    # dbt reads the input models' columns from a built warehouse: a copy of the session's demo.
    _, built = demo_run
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(built, warehouse)
    manifest = json.loads((DBT_DIR / "target" / "manifest.json").read_text())
    expected = len(manifest["unit_tests"])
    done = subprocess.run(
        [
            str(Path(sys.executable).with_name("dbt")),
            "test",
            "--select",
            "test_type:unit",
            "--profiles-dir",
            ".",
            "--target-path",
            str(tmp_path / "dbt_target"),
            "--log-path",
            str(tmp_path / "dbt_target"),
        ],
        cwd=DBT_DIR,
        env={**os.environ, "HEALTH_WAREHOUSE": str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-4000:]
    assert expected >= 9
    assert re.search(rf"PASS={expected}\b", done.stdout), done.stdout[-2000:]
