"""The whole job on the api source, as `make run-api` runs it: a Stripe- and Intercom-compatible sandbox
on 127.0.0.1 answering in today's API shapes, then `dagster_project.run` against it, in a process of its
own, as a user starts it."""

from __future__ import annotations

import os
import subprocess
import sys

import duckdb
import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def test_the_job_runs_on_the_api_source_and_publishes_without_leaking_a_credential(tmp_path):
    env = {
        **os.environ,
        "HEALTH_WAREHOUSE": str(tmp_path / "warehouse.duckdb"),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        "HEALTH_PUBLISH_DIR": str(tmp_path / "published"),
        "PATH": f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ.get('PATH', '')}",
        # Invoices and tickets stop hours before the end of yesterday: more than an hour old, stale.
        "HEALTH_FRESHNESS_HOURS": "1",
    }
    done = subprocess.run(
        [sys.executable, "tests/sources/api_sandbox.py", "--accounts", "40", "--days", "120"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Published tables (marts):" in done.stdout and "active accounts" in done.stdout
    # The terminal's warnings block names each kind the run had, with a count and an example.
    block = done.stdout[done.stdout.index("Warnings (") :]
    kinds = ("stale sources: ", "accounts with no billing customer: ", "churn model: ", "customer signals: ")
    for kind in kinds:
        assert f"\n  {kind}" in block, block
    # The run read every table over HTTP from the sandbox...
    (log,) = (tmp_path / "logs").glob("run-*.log")
    assert "land_raw_tables" in log.read_text()
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        sources = con.execute("select distinct _source from raw.stripe_invoice_line_items").fetchall()
        lines, without_interval = con.execute(
            "select count(*), count(*) filter (where interval is null) from raw.stripe_invoice_line_items"
        ).fetchall()[0]
        accounts = con.execute("select count(*) from marts.customer_health").fetchall()[0][0]
    assert sources == [("api",)]
    # ...its lines in the 2025-03-31+ shape, each priced from the catalogue.
    assert lines > 40 and without_interval == 0
    assert accounts > 0
    assert (tmp_path / "published" / "report.html").exists()
    # The sandbox checked its log and run history for the credentials it made up (else it exits 1).
