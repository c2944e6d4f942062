"""Build the report from the warehouse: read the data, draw the sections, assemble the page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from dagster_project.report.page import render_page
from dagster_project.report.queries import Reader, load_report_data
from dagster_project.report.sections import report_sections


@dataclass(frozen=True)
class Report:
    """The page's HTML, how many charts it draws and the day it describes."""

    html: str
    charts: int
    as_of_date: date | None


def build_report(reader: Reader, generated_at: datetime | None = None) -> Report:
    """The report of the warehouse's current marts tables; raises if one of them does not exist."""
    data = load_report_data(reader)
    sections = report_sections(data)
    page = render_page(sections, data.as_of_date, generated_at or datetime.now(UTC))
    return Report(
        html=page,
        charts=sum(section.figure is not None for section in sections),
        as_of_date=data.as_of_date,
    )
