"""The worklist's first accounts as an HTML table: every value escaped, numbers formatted for reading."""

from __future__ import annotations

import html
from collections.abc import Callable

import pandas as pd

from dagster_project.report.charts import NO_DATA

MISSING = "–"


def _number(pattern: str) -> Callable[[object], str]:
    return lambda value: MISSING if pd.isna(value) else format(value, pattern)


def _text(value: object) -> str:
    return MISSING if pd.isna(value) else str(value)


def _rank(value: object) -> str:
    return MISSING if pd.isna(value) else str(int(value))


def _owner(value: object) -> str:
    return "no owner" if pd.isna(value) else str(value)


def _account(row: pd.Series) -> str:
    return _text(row["account_name"]) if not pd.isna(row["account_name"]) else _text(row["account_id"])


# (header, how a row's cell is written, CSS class of the column): in the order shown.
COLUMNS: list[tuple[str, Callable[[pd.Series], str], str]] = [
    ("#", lambda row: _rank(row["priority_rank"]), "number"),
    ("account", _account, "name"),
    ("owner", lambda row: _owner(row["owner"]), "name"),
    ("tier", lambda row: _text(row["priority_tier"]), "short"),
    ("grade", lambda row: _text(row["grade"]), "short"),
    ("health", lambda row: _number(".0f")(row["health_score"]), "number"),
    ("churn likelihood", lambda row: _number(".0%")(row["churn_likelihood"]), "number"),
    ("revenue at risk", lambda row: _number(",.0f")(row["revenue_at_risk"]), "number"),
    ("signal", lambda row: _text(row["signal"]), "short"),
    ("reasons", lambda row: _text(row["reasons"]), "reasons"),
    ("recommended action", lambda row: _text(row["recommended_action"]), "long"),
]


def top_accounts_table(accounts: pd.DataFrame) -> str:
    """``<table>`` of the accounts in the order given (the columns of marts.prioritized_accounts)."""
    if accounts.empty:
        return f'<p class="empty">{NO_DATA}</p>'
    header = "".join(f'<th class="{css}">{html.escape(name)}</th>' for name, _, css in COLUMNS)
    rows = [
        "<tr>"
        + "".join(f'<td class="{css}">{html.escape(cell(row))}</td>' for _, cell, css in COLUMNS)
        + "</tr>"
        for _, row in accounts.iterrows()
    ]
    return (
        '<div class="table-scroll"><table class="worklist">\n'
        f"<thead><tr>{header}</tr></thead>\n"
        "<tbody>\n" + "\n".join(rows) + "\n</tbody>\n</table></div>"
    )
