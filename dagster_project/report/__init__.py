"""The health report: a self-contained HTML page of charts and the worklist's first accounts (no Dagster).

`write_report(reader, folder)` reads the marts tables through anything with a
``query(sql, params)`` method (the `Warehouse` resource), draws the charts with
plotly and writes ``folder/report.html`` atomically.
"""

from dagster_project.report.build import Report, build_report
from dagster_project.report.write import REPORT_FILE, save_report, write_report

__all__ = ["REPORT_FILE", "Report", "build_report", "save_report", "write_report"]
