"""The report in a real headless Chromium: every chart draws, no script fails, and a broken page is caught.

The page is opened from disk (``file://``) as a reader would, with no network
needed; the screenshot of the whole page lands in data/screenshots/report.png
(data/ is not versioned) for a person to look at.
"""

from __future__ import annotations

import contextlib
import struct
from dataclasses import dataclass, field
from pathlib import Path

import plotly.offline
import pytest

from dagster_project.report import write_report
from dagster_project.warehouse.resource import Warehouse
from tests.conftest import ROOT
from tests.report.warehouse import make_report_warehouse

SCREENSHOT = ROOT / "data" / "screenshots" / "report.png"
CHARTS = 7

# True once every chart div holds what plotly draws: an SVG (or a canvas, for WebGL traces).
ALL_CHARTS_DRAWN = """() => {
    const charts = [...document.querySelectorAll('.chart')];
    return charts.length > 0 && charts.every(chart => chart.querySelector('svg.main-svg, canvas'));
}"""
COUNT_CHARTS = "() => document.querySelectorAll('.chart').length"
COUNT_DRAWN = """() => [...document.querySelectorAll('.chart')]
    .filter(chart => chart.querySelector('svg.main-svg, canvas')).length"""


@dataclass
class Rendered:
    """What the browser made of a page: chart divs, how many were drawn, and every error it reported."""

    charts: int = 0
    drawn: int = 0
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)


def render(browser, page_file: Path, screenshot: Path | None = None, timeout_ms: int = 20_000) -> Rendered:
    """Open ``page_file`` in a new page, wait for the charts (up to ``timeout_ms``), collect the errors."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    rendered = Rendered()
    page = browser.new_page(viewport={"width": 1280, "height": 900})

    def on_console(message) -> None:
        if message.type == "error":
            rendered.console_errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: rendered.page_errors.append(str(error)))
    try:
        page.goto(page_file.resolve().as_uri(), wait_until="load")
        # A chart that never draws is counted below: it is the failure the tests look for.
        with contextlib.suppress(PlaywrightTimeout):
            page.wait_for_function(ALL_CHARTS_DRAWN, timeout=timeout_ms)
        rendered.charts = page.evaluate(COUNT_CHARTS)
        rendered.drawn = page.evaluate(COUNT_DRAWN)
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=True)
    finally:
        page.close()
    return rendered


@pytest.fixture(scope="module")
def report_file(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("browser")
    return write_report(Warehouse(path=str(make_report_warehouse(folder / "w.duckdb"))), folder / "published")


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's header; fails if the file is not a PNG."""
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", header[16:24])


def test_every_chart_draws_without_a_browser_error(browser, report_file):
    SCREENSHOT.unlink(missing_ok=True)
    rendered = render(browser, report_file, screenshot=SCREENSHOT)
    assert rendered.charts == CHARTS > 0
    assert rendered.drawn == rendered.charts
    assert rendered.console_errors == []
    assert rendered.page_errors == []
    width, height = png_size(SCREENSHOT)
    assert width == 1280 and height > 2000  # the whole page: eight sections, not just the first screen
    assert SCREENSHOT.stat().st_size > 50_000


def test_the_worklist_fits_a_1280_px_window_and_unfolds_its_details(browser, report_file):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(report_file.resolve().as_uri(), wait_until="load")
        table = page.locator("table.worklist")
        scroller = page.locator("div.table-scroll")
        # Nothing to scroll sideways: the table is no wider than the box that holds it, within the window.
        assert scroller.evaluate("box => box.scrollWidth <= box.clientWidth")
        box = table.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 1280
        headers = table.locator("th").all_inner_texts()
        assert [h.strip() for h in headers] == ["#", "account", "owner", "play", "why", "details"]
        first = table.locator("details").first
        assert not first.locator("dd").first.is_visible()
        first.locator("summary").click()
        assert first.locator("dd").first.is_visible()
        assert "action P1" in first.inner_text()
    finally:
        page.close()


def test_a_script_that_throws_is_caught(browser, report_file, tmp_path):
    broken = tmp_path / "broken.html"
    page = report_file.read_text(encoding="utf-8")
    broken.write_text(page.replace("</body>", "<script>throw new Error('report broke');</script></body>"))
    rendered = render(browser, broken)
    assert any("report broke" in error for error in rendered.page_errors)


def test_charts_that_never_draw_are_caught(browser, report_file, tmp_path):
    broken = tmp_path / "no-plotly.html"
    page = report_file.read_text(encoding="utf-8")
    broken.write_text(page.replace(plotly.offline.get_plotlyjs(), ""), encoding="utf-8")
    rendered = render(browser, broken, timeout_ms=2_000)
    assert rendered.charts == CHARTS
    assert rendered.drawn == 0
    assert any("Plotly is not defined" in error for error in rendered.page_errors)


def test_the_report_the_job_publishes_draws_in_chromium(browser, demo_run, tmp_path):
    """The page the whole job wrote on the small demo, not a hand-made one."""
    _, warehouse = demo_run
    report = warehouse.parent / "published" / "report.html"
    rendered = render(browser, report, screenshot=tmp_path / "demo.png")
    assert rendered.charts == CHARTS
    assert rendered.drawn == CHARTS
    assert rendered.console_errors == []
    assert rendered.page_errors == []
