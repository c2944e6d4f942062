"""dbt's unit tests run here, in CI: the daily job leaves them out (they test SQL, not the day's data)."""

from __future__ import annotations

import json
import re
import shutil

from tests.conftest import DBT_DIR
from tests.dbt_scenarios import run_dbt


def test_every_dbt_unit_test_passes(demo_run, tmp_path):
    # dbt reads the input models' columns from a built warehouse: a copy of the session's demo.
    _, built = demo_run
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(built, warehouse)
    manifest = json.loads((DBT_DIR / "target" / "manifest.json").read_text())
    expected = len(manifest["unit_tests"])
    output = run_dbt(warehouse, ["test", "--select", "test_type:unit"])
    assert expected >= 9
    assert re.search(rf"PASS={expected}\b", output), output[-2000:]
