"""Shared test set-up: a dbt manifest to load the code location from, and a small demo profile."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DBT_DIR = ROOT / "dbt"

# Small enough for seconds, long enough for onboarding, renewals and churn to occur.
SMALL_DEMO = {"demo_accounts": 120, "demo_days": 150, "demo_seed": 7, "demo_end_date": "2026-06-30"}


def pytest_configure(config: pytest.Config) -> None:
    """Build the dbt manifest once if `make` has not, before test modules import the definitions."""
    if not (DBT_DIR / "target" / "manifest.json").exists():
        dbt = Path(sys.executable).with_name("dbt")
        subprocess.run([str(dbt), "parse", "--quiet", "--profiles-dir", "."], cwd=DBT_DIR, check=True)


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """The small demo built once for the whole session, for the tests that only read it."""
    from tests.pipeline import materialise  # after pytest_configure has built the dbt manifest

    path = tmp_path_factory.mktemp("e2e") / "warehouse.duckdb"
    return materialise(path, **SMALL_DEMO), path


# Fixtures and parameters that need PostgreSQL's or Spark's drivers (extras `make test-engines` installs).
_ENGINE_FIXTURES = {"postgres", "spark_folder", "spark_server"}
_ENGINE_PARAMS = {"postgres", "spark"}


@pytest.hookimpl(tryfirst=True)  # before `-m` selects on the marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test of PostgreSQL or Spark `engines`: `make test` leaves them to `make test-engines`.

    `make test-engines` runs them in two processes side by side (pytest-xdist, `--dist loadgroup`), each
    a group of about the same length: the tests of a Spark inside the test process (one per process,
    as pyspark allows), and the others (PostgreSQL, and the job on a Spark server)."""
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        values = {v for v in params.values() if isinstance(v, str)}
        fixtures = set(getattr(item, "fixturenames", ()))
        if values & _ENGINE_PARAMS or _ENGINE_FIXTURES & fixtures:
            item.add_marker(pytest.mark.engines)
            local_spark = "spark" in values or "spark_folder" in fixtures
            item.add_marker(pytest.mark.xdist_group("spark_in_process" if local_spark else "other_engines"))


@pytest.fixture(scope="session")
def postgres(tmp_path_factory):
    """A real PostgreSQL server for the session, on 127.0.0.1 in a temporary folder (tests/engines.py)."""
    from tests.engines import postgres_bin, postgres_server

    if postgres_bin() is None:
        pytest.skip("PostgreSQL's server is not installed here: `apt-get install postgresql` (.ci/run does)")
    with postgres_server(tmp_path_factory.mktemp("postgres")) as server:
        yield server


@pytest.fixture(scope="module")
def spark_folder(tmp_path_factory):
    """One Spark warehouse for a test module: a Spark session's folders are set when its JVM starts, so
    the module's tests share them; the session and its JVM are stopped after the module."""
    if shutil.which("java") is None:
        pytest.skip("Spark needs Java 17 or later: `apt-get install openjdk-17-jre-headless` (.ci/run does)")
    from dagster_project.warehouse.engines.spark_engine import release

    folder = tmp_path_factory.mktemp("spark")
    yield folder
    release()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """A failing test that used a Spark server shows the server's errors: CI keeps no server log."""
    report = yield
    server = getattr(item, "funcargs", {}).get("spark_server")
    if report.failed and server is not None:
        report.sections.append(("Spark server's errors", server.log_errors()))
    return report


@pytest.fixture(scope="module")
def spark_server(tmp_path_factory):
    """A Spark server standing in for a cluster (tests/engines.py): Thrift for dbt, Spark Connect for the
    Python assets; this process's session to it is stopped, then the server, after the module."""
    if shutil.which("java") is None:
        pytest.skip("Spark needs Java 17 or later: `apt-get install openjdk-17-jre-headless` (.ci/run does)")
    from dagster_project.warehouse.engines.spark_engine import release
    from tests.engines import spark_server as started

    with started(tmp_path_factory.mktemp("spark_server")) as server:
        yield server
        release()
