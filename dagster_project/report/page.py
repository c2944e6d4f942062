"""The report's HTML page: one self-contained file that opens offline, anywhere.

plotly.js is inlined once in the page's head and every figure is a ``<div>``
with the script that draws it; there is no ``http(s)`` URL for a script, a
style sheet or a font (the fonts are the system's), so the file can be mailed,
archived or opened on a machine without network and look the same.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date, datetime

import plotly.graph_objects as go
import plotly.offline

CHART_CLASS = "chart"

# Plain and readable: system fonts, a narrow column of text, wide charts and a table that wraps.
CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222;
       margin: 0; background: #f6f7f9; line-height: 1.45; }
header, main { max-width: 1200px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 24px; }
h1 { margin: 0 0 4px; font-size: 1.8em; }
.meta { color: #555; margin: 0 0 12px; }
nav ol { margin: 0; padding-left: 20px; columns: 2; }
section { background: #fff; border: 1px solid #e1e4e8; border-radius: 6px; margin: 20px 0;
          padding: 16px 20px; }
h2 { margin: 0 0 4px; font-size: 1.25em; }
.how-to-read { color: #444; margin: 0 0 8px; max-width: 80ch; }
.chart { width: 100%; min-height: 240px; }
.empty { color: #777; font-style: italic; }
/* A wide table scrolls inside its section instead of widening the page. */
.table-scroll { overflow-x: auto; }
table.worklist { border-collapse: collapse; width: 100%; font-size: 0.9em; }
table.worklist th, table.worklist td { border-bottom: 1px solid #e1e4e8; padding: 6px 8px;
                                       vertical-align: top; text-align: left; }
table.worklist th { background: #f0f2f5; white-space: normal; }
table.worklist td.number { text-align: right; white-space: nowrap; }
table.worklist th.number { text-align: right; }
table.worklist td.short { white-space: nowrap; }
table.worklist .name { min-width: 7em; }
table.worklist .long { min-width: 16em; }
/* The details unfold below their cell; they never widen the table beyond the page. */
table.worklist .details { min-width: 5em; max-width: 24em; }
table.worklist details dl { margin: 4px 0 0; }
table.worklist details dt { font-weight: 600; }
table.worklist details dd { margin: 0 0 4px 0; }
footer { color: #777; font-size: 0.85em; padding: 8px 24px 24px; max-width: 1200px; margin: 0 auto; }
"""

# Resize the charts with the window; the plotly logo adds nothing to a report.
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}


@dataclass(frozen=True)
class Section:
    """One part of the report: a chart or an HTML body (the worklist table), under a title and a
    sentence saying how to read it. ``id`` is stable: links and tests find the section by it."""

    id: str
    title: str
    how_to_read: str
    figure: go.Figure | None = None
    body_html: str = ""

    @property
    def chart_id(self) -> str:
        return f"chart-{self.id}"


def render_page(sections: list[Section], as_of_date: date | None, generated_at: datetime) -> str:
    """The whole page: head with the style and plotly.js, a title with the dates, then the sections."""
    as_of = str(as_of_date) if as_of_date else "no data yet"
    title = f"Customer health report, as of {as_of}"
    contents = "\n".join(
        f'<li><a href="#{html.escape(s.id)}">{html.escape(s.title)}</a></li>' for s in sections
    )
    body = "\n".join(_section_html(section) for section in sections)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{CSS}</style>
<script type="text/javascript">{plotly.offline.get_plotlyjs()}</script>
</head>
<body>
<header>
<h1>Customer health report</h1>
<p class="meta">As of <strong>{html.escape(as_of)}</strong> &middot; generated
<time datetime="{generated_at.isoformat(timespec="seconds")}">{generated_at:%Y-%m-%d %H:%M %Z}</time></p>
<nav><ol>
{contents}
</ol></nav>
</header>
<main>
{body}
</main>
<footer>Built from the warehouse's marts tables by the Dagster asset published/health_report.</footer>
</body>
</html>
"""


def _section_html(section: Section) -> str:
    content = section.body_html
    if section.figure is not None:
        plot = section.figure.to_html(
            full_html=False,
            include_plotlyjs=False,
            div_id=f"plot-{section.id}",
            config=PLOTLY_CONFIG,
            default_width="100%",
            default_height=f"{section.figure.layout.height or 420}px",
        )
        content = f'<div class="{CHART_CLASS}" id="{section.chart_id}">{plot}</div>'
    return f"""<section id="{html.escape(section.id)}">
<h2>{html.escape(section.title)}</h2>
<p class="how-to-read">{html.escape(section.how_to_read)}</p>
{content}
</section>"""
