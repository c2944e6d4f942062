"""The health report on a hand-made warehouse: the sections, the charts' values, empty tables, escaping,
offline-only resources, and the asset's atomic write (see tests/report/warehouse.py for the data)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import dagster as dg
import duckdb
import pandas as pd
import plotly.offline
import pytest

from dagster_project.defs.publishing.resources import PublishFolder
from dagster_project.defs.report.assets import health_report
from dagster_project.report import REPORT_FILE, build_report, save_report, write_report
from dagster_project.report import write as write_module
from dagster_project.report.charts import NO_DATA, roc_chart
from dagster_project.report.queries import load_report_data
from dagster_project.report.roc import roc_curves
from dagster_project.report.sections import report_sections
from dagster_project.warehouse.resource import Warehouse
from tests.report.warehouse import (
    AS_OF,
    EXPECTED_AUC,
    EXPECTED_CHURN_RATES,
    EXPECTED_REVENUE_AT_RISK,
    HOSTILE_NAME,
    HOSTILE_REASONS,
    make_report_warehouse,
)

SECTIONS = [
    "grades",
    "health-trend",
    "churn-by-grade",
    "roc",
    "revenue-at-risk",
    "mrr-movements",
    "worklist-capture",
    "worklist",
]
GENERATED_AT = datetime(2026, 7, 1, 6, 5, tzinfo=UTC)
DAY = "2026-06-30"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Warehouse:
    return Warehouse(path=str(make_report_warehouse(tmp_path_factory.mktemp("report") / "w.duckdb")))


@pytest.fixture(scope="module")
def sections(warehouse):
    return {section.id: section for section in report_sections(load_report_data(warehouse))}


@pytest.fixture(scope="module")
def page(warehouse) -> str:
    return build_report(warehouse, generated_at=GENERATED_AT).html


def test_the_page_has_the_eight_sections_in_order_with_a_chart_div_for_each_chart(page):
    assert re.findall(r'<section id="([^"]+)">', page) == SECTIONS
    assert re.findall(r'<div class="chart" id="chart-([^"]+)">', page) == SECTIONS[:-1]
    assert page.count('<p class="how-to-read">') == 8
    assert "As of <strong>2026-06-30</strong>" in page
    assert 'datetime="2026-07-01T06:05:00+00:00"' in page


def test_plotly_js_is_inlined_once_and_nothing_is_fetched_from_the_network(page):
    assert page.count(plotly.offline.get_plotlyjs()) == 1
    assert not re.search(r"<script[^>]*\ssrc=", page)
    assert 'src="http' not in page
    assert not re.search(r"<link[^>]*href=[\"']?https?:", page)
    assert not re.search(r"@import|url\(\s*[\"']?https?:", page)


def test_grades_are_counted_per_segment(sections):
    figure = sections["grades"].figure
    counts = {trace.name: dict(zip(trace.x, trace.y, strict=True)) for trace in figure.data}
    assert list(counts) == ["A", "B", "C", "D", "F"]
    assert counts == {
        "A": {"enterprise": 0, "smb": 2},
        "B": {"enterprise": 1, "smb": 0},
        "C": {"enterprise": 0, "smb": 1},
        "D": {"enterprise": 1, "smb": 0},
        "F": {"enterprise": 0, "smb": 1},
    }
    assert figure.layout.barmode == "stack"


def test_the_health_trend_is_aggregated_per_day_in_the_warehouse(sections):
    average, *shares = sections["health-trend"].figure.data
    assert list(average.y) == [50.0, 60.0]
    assert {trace.name: list(trace.y) for trace in shares} == {
        "green share": [0.25, 0.5],
        "yellow share": [0.25, 0.25],
        "red share": [0.5, 0.25],
    }


def test_churn_rate_by_grade_shows_the_all_accounts_grade_rows_only(sections):
    figure = sections["churn-by-grade"].figure
    (bars,) = figure.data
    assert dict(zip(bars.x, bars.y, strict=True)) == pytest.approx(EXPECTED_CHURN_RATES)
    assert bars.text[-1] == "40.0% (lift 3.9x)"  # 0.40 / (31 / 300) = 3.87
    assert figure.layout.shapes[0].y0 == pytest.approx(31 / 300)


def test_roc_auc_is_the_hand_worked_value_and_shown_in_the_legend(warehouse, sections, page):
    curves = roc_curves(load_report_data(warehouse).backtest)
    assert {curve.name: curve.auc for curve in curves} == pytest.approx(EXPECTED_AUC)
    names = [trace.name for trace in sections["roc"].figure.data]
    assert names == [
        "churn likelihood (AUC 0.75)",
        "health score (low = risk) (AUC 1.00)",
        "chance (AUC 0.50)",
    ]
    assert "churn likelihood (AUC 0.75)" in page


def test_a_backtest_with_one_outcome_draws_an_empty_chart_saying_why():
    backtest = pd.DataFrame(
        {"health_score": [10.0, 90.0], "churn_likelihood": [0.5, 0.1], "churned_within_horizon": [0, 0]}
    )
    figure = roc_chart(backtest)
    assert not figure.data
    assert "only one outcome" in figure.layout.annotations[0].text


def test_revenue_at_risk_is_summed_per_tier(sections):
    (bars,) = sections["revenue-at-risk"].figure.data
    assert dict(zip(bars.x, bars.y, strict=True)) == EXPECTED_REVENUE_AT_RISK
    assert bars.text[0] == "500 (5 accounts)"


def test_mrr_movements_are_summed_per_month_and_movement_without_the_unchanged(sections):
    figure = sections["mrr-movements"].figure
    bars = {trace.name: dict(zip(trace.x, trace.y, strict=True)) for trace in figure.data}
    assert bars == {
        "new": {"2026-05": 150.0, "2026-06": 0.0},
        "reactivation": {"2026-05": 0.0, "2026-06": 30.0},
        "expansion": {"2026-05": 0.0, "2026-06": 20.0},
        "contraction": {"2026-05": 0.0, "2026-06": -10.0},
        "churn": {"2026-05": 0.0, "2026-06": -50.0},
        "net change": {"2026-05": 150.0, "2026-06": -10.0},
    }
    assert figure.layout.barmode == "relative"


def test_the_worklist_table_lists_the_top_25_in_order_with_every_text_escaped(page):
    table = page[page.index('<table class="worklist">') :]
    table = table[: table.index("</table>")]
    ranks = re.findall(r'<tr><td class="number">(\d+)</td>', table)
    assert ranks == [str(rank) for rank in range(1, 26)]
    assert "&lt;script&gt;alert(&#x27;owned&#x27;)&lt;/script&gt; health 12 &amp; falling" in table
    assert "Smith &amp; &lt;Sons&gt;" in table
    assert HOSTILE_REASONS not in page and HOSTILE_NAME not in page
    assert '<td class="name">unassigned</td>' in table  # ranks 2 and 3 have no owner
    # One play per account beside the fact behind it; the rest folded into details.
    assert re.findall(r'<td class="short">(play P\d)</td>', table)[:6] == ["play P1"] * 5 + ["play P2"]
    assert "<dt>churn likelihood</dt><dd>25% in 90 days</dd>" in table
    assert "<dt>action</dt><dd>action P1</dd>" in table


def test_the_capture_curve_runs_from_nothing_to_everything_through_the_backtest_figures(sections, page):
    lines = {trace.name: trace for trace in sections["worklist-capture"].figure.data}
    assert set(lines) == {"expected_loss (the worklist's)", "random"}
    assert list(lines["expected_loss (the worklist's)"].x) == [0, 0.05, 0.1, 0.2, 0.5, 1]
    assert list(lines["expected_loss (the worklist's)"].y) == [0, 0.4, 0.6, 0.8, 0.95, 1]
    assert list(lines["random"].y) == [0, 0.05, 0.1, 0.2, 0.5, 1]
    assert "Unassigned queue: 2 accounts have no owner, 2 of them P1." in page


def test_empty_tables_give_no_data_yet_in_every_section(tmp_path):
    empty = Warehouse(path=str(make_report_warehouse(tmp_path / "w.duckdb", empty=True)))
    data = load_report_data(empty)
    assert data.as_of_date is None
    for section in report_sections(data):
        if section.figure is not None:
            assert [a.text for a in section.figure.layout.annotations] == [NO_DATA], section.id
        else:
            assert section.body_html == f'<p class="empty">{NO_DATA}</p>'
    report = build_report(empty, generated_at=GENERATED_AT)
    assert report.charts == 7
    assert "As of <strong>no data yet</strong>" in report.html


def test_write_report_renames_a_complete_temporary_file_of_its_folder(warehouse, tmp_path, monkeypatch):
    renames = []
    real_replace = write_module.os.replace

    def recording_replace(source, target):
        renames.append((source, target))
        assert (tmp_path / source).read_text().endswith("</html>\n")  # complete before it is renamed
        real_replace(source, target)

    monkeypatch.setattr(write_module.os, "replace", recording_replace)
    path = write_report(warehouse, tmp_path)
    assert path == tmp_path / REPORT_FILE
    ((source, target),) = renames
    assert source.parent == target.parent == tmp_path and source.name.startswith(".")
    assert sorted(p.name for p in tmp_path.iterdir()) == [REPORT_FILE]


def test_a_failed_write_keeps_the_old_report_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    (tmp_path / REPORT_FILE).write_text("yesterday's report")

    def failing_replace(source, target):
        raise OSError("disk full")

    monkeypatch.setattr(write_module.os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        save_report("<html>today</html>", tmp_path)
    assert (tmp_path / REPORT_FILE).read_text() == "yesterday's report"
    assert [p.name for p in tmp_path.iterdir()] == [REPORT_FILE]


def materialise(warehouse: Warehouse, folder) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [health_report],
        resources={"warehouse": warehouse, "publish_folder": PublishFolder(path=str(folder))},
        partition_key=DAY,
        raise_on_error=False,
    )


def test_the_asset_writes_report_html_beside_the_bi_copy_without_touching_it(warehouse, tmp_path):
    folder = tmp_path / "published"
    folder.mkdir()
    (folder / "manifest.json").write_text('{"tables": {}}')
    (folder / "health.duckdb").write_bytes(b"the BI copy")
    result = materialise(warehouse, folder)
    assert result.success
    report = folder / REPORT_FILE
    metadata = result.asset_materializations_for_node(health_report.op.name)[0].metadata
    assert metadata["path"].value == str(report)
    assert metadata["charts"].value == 7
    assert metadata["size_bytes"].value == report.stat().st_size > 100_000
    assert metadata["as_of_date"].value == str(AS_OF)
    assert (folder / "manifest.json").read_text() == '{"tables": {}}'
    assert (folder / "health.duckdb").read_bytes() == b"the BI copy"
    assert sorted(p.name for p in folder.iterdir()) == ["health.duckdb", "manifest.json", REPORT_FILE]


def test_the_asset_fails_on_a_missing_table_and_the_old_report_stays(tmp_path):
    path = make_report_warehouse(tmp_path / "w.duckdb")
    with duckdb.connect(str(path)) as con:
        con.execute("drop table marts.churn_backtest")
    folder = tmp_path / "published"
    folder.mkdir()
    (folder / REPORT_FILE).write_text("yesterday's report")
    result = materialise(Warehouse(path=str(path)), folder)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "churn_backtest" in str(failure.event_specific_data.error)
    assert (folder / REPORT_FILE).read_text() == "yesterday's report"
    assert [p.name for p in folder.iterdir()] == [REPORT_FILE]


def test_the_asset_is_published_after_the_bi_copy():
    spec = health_report.specs_by_key[dg.AssetKey(["published", "health_report"])]
    assert [dep.asset_key for dep in spec.deps] == [dg.AssetKey(["published", "bi_copy"])]
    assert spec.group_name == "publishing"
    assert spec.kinds == {"plotly", "html"}
    assert spec.description.startswith("report.html in the publish folder")
