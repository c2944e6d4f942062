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


def _account(row: pd.Series) -> str:
    return _text(row["account_name"]) if not pd.isna(row["account_name"]) else _text(row["account_id"])


def _details(row: pd.Series) -> str:
    """The rest of the row, folded: tier, grade and health, risk, what is at stake, reasons, action."""
    horizon = "" if pd.isna(row["risk_horizon_days"]) else f" in {int(row['risk_horizon_days'])} days"
    facts = [
        ("tier", f"{_text(row['priority_tier'])} {_text(row['tier_name'])}"),
        ("grade", f"{_text(row['grade'])} (health {_number('.0f')(row['health_score'])})"),
        ("churn likelihood", f"{_number('.0%')(row['churn_likelihood'])}{horizon}"),
        ("at stake", _number(",.0f")(row["priority_score"])),
        ("signal", _text(row["signal"])),
        ("reasons", _text(row["reasons"])),
        ("action", _text(row["recommended_action"])),
    ]
    items = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in facts)
    return f"<details><summary>more</summary><dl>{items}</dl></details>"


# (header, how a row's cell is written as escaped text, CSS class of the column): in the order shown. What a
# CSM needs to start (rank, account, queue, play and the fact behind it) fits 1280 px; the rest unfolds.
COLUMNS: list[tuple[str, Callable[[pd.Series], str], str]] = [
    ("#", lambda row: _rank(row["priority_rank"]), "number"),
    ("account", _account, "name"),
    ("owner", lambda row: _text(row["queue"]), "name"),
    ("play", lambda row: _text(row["play"]), "short"),
    ("why", lambda row: _text(row["play_reason"]), "long"),
]


def top_accounts_table(accounts: pd.DataFrame) -> str:
    """``<table>`` of the accounts in the order given (the columns of marts.prioritized_accounts)."""
    if accounts.empty:
        return f'<p class="empty">{NO_DATA}</p>'
    header = "".join(f'<th class="{css}">{html.escape(name)}</th>' for name, _, css in COLUMNS)
    header += '<th class="details">details</th>'
    rows = [
        "<tr>"
        + "".join(f'<td class="{css}">{html.escape(cell(row))}</td>' for _, cell, css in COLUMNS)
        + f'<td class="details">{_details(row)}</td>'
        + "</tr>"
        for _, row in accounts.iterrows()
    ]
    return (
        '<div class="table-scroll"><table class="worklist">\n'
        f"<thead><tr>{header}</tr></thead>\n"
        "<tbody>\n" + "\n".join(rows) + "\n</tbody>\n</table></div>"
    )
