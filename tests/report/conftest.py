"""A real headless Chromium for the report's browser test: Debian's package, installed when missing.

Playwright's own browser download is not used (``playwright install`` fetches a
build from outside the package registries): Playwright drives the system's
``chromium`` through ``executable_path``. When it is missing and the tests run
as root with apt-get, the package is installed once per session; otherwise the
browser tests are skipped, saying what to install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

DEBIAN_CHROMIUM = Path("/usr/bin/chromium")
APT_TIMEOUT_SECONDS = 1200


def find_chromium() -> str | None:
    """The system's Chromium executable, if there is one."""
    found = shutil.which("chromium")
    if found:
        return found
    return str(DEBIAN_CHROMIUM) if DEBIAN_CHROMIUM.exists() else None


def install_chromium() -> str | None:
    """Install Debian's ``chromium`` with apt-get (as root only); None when done, else why not."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "not running as root, so apt-get cannot install it"
    if shutil.which("apt-get") is None:
        return "apt-get is not available"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "chromium"]
    if _run(install, env) == 0:
        return None
    # A fresh machine has no package lists yet (or stale ones): update them once and try again.
    if _run(["apt-get", "update"], env) != 0 or _run(install, env) != 0:
        return "`apt-get install -y chromium` failed"
    return None


def _run(command: list[str], env: dict[str, str]) -> int:
    try:
        return subprocess.run(
            command, env=env, capture_output=True, timeout=APT_TIMEOUT_SECONDS, check=False
        ).returncode
    except (OSError, subprocess.TimeoutExpired):
        return 1


@pytest.fixture(scope="session")
def chromium_executable(request: pytest.FixtureRequest) -> str:
    """Path of a Chromium to drive; installs Debian's package if needed, or skips the test."""
    found = find_chromium()
    if found:
        return found
    started = time.monotonic()
    problem = install_chromium()
    found = find_chromium()
    if found is None:
        pytest.skip(
            f"no Chromium for the browser test ({problem or 'not found after installing'}): install Debian's "
            "package as root with `apt-get install -y chromium` (or put a `chromium` on PATH)"
        )
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"\ninstalled Debian's chromium in {time.monotonic() - started:.0f}s: {found}")
    return found


@pytest.fixture(scope="session")
def browser(chromium_executable: str) -> Iterator:
    """One headless Chromium for the session (root in a container needs ``--no-sandbox``)."""
    from playwright.sync_api import sync_playwright

    # Chromium's sandbox refuses to start as root; /dev/shm is small in containers.
    args = ["--disable-dev-shm-usage"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--no-sandbox")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_executable, headless=True, args=args)
        yield browser
        browser.close()
