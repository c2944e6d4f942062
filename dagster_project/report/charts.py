"""The report's charts: one function per chart, from the small frame of its query to a plotly figure.

Only SVG trace types (bar, scatter) are used, never WebGL ones (``scattergl``):
SVG renders the same in every browser, headless ones included, and prints.
An empty frame gives a figure with a "no data yet" note instead of an error,
so the report of a young warehouse still opens.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dagster_project.report.roc import has_both_outcomes, roc_curves

NO_DATA = "no data yet"
HEIGHT = 420

# Grades A (best) to F, from green to red; a grade not listed here gets plotly's next colour.
GRADE_COLOURS = {"A": "#1a9850", "B": "#91cf60", "C": "#f2c230", "D": "#fc8d59", "F": "#d73027"}
HEALTH_COLOURS = {"green": "#2e9d5b", "yellow": "#e5b31b", "red": "#d64541"}
TIER_COLOURS = {"P1": "#d73027", "P2": "#fc8d59", "P3": "#74add1", "P4": "#a6a6a6"}
# Gains first (above zero), then losses, so the stacks read the same way every month.
MOVEMENT_COLOURS = {
    "new": "#2b8cbe",
    "reactivation": "#7fcdbb",
    "expansion": "#1a9850",
    "contraction": "#fc8d59",
    "churn": "#d73027",
}


def grade_distribution_chart(accounts: pd.DataFrame) -> go.Figure:
    """Today's accounts per grade, stacked, in each segment (columns segment, grade, accounts)."""
    if accounts.empty:
        return no_data_figure()
    counts = accounts.pivot_table(
        index="segment", columns="grade", values="accounts", aggfunc="sum", fill_value=0
    )
    figure = go.Figure(
        [
            go.Bar(
                name=grade,
                x=list(counts.index),
                y=counts[grade].tolist(),
                marker_color=GRADE_COLOURS.get(grade),
                hovertemplate=f"grade {grade}<br>%{{x}}: %{{y}} accounts<extra></extra>",
            )
            for grade in _ordered(counts.columns, GRADE_COLOURS)
        ]
    )
    figure.update_layout(barmode="stack", legend_title_text="grade")
    return _styled(figure, x_title="segment", y_title="accounts")


def health_trend_chart(trend: pd.DataFrame) -> go.Figure:
    """The book's average health score per day above, each colour's share of accounts below
    (columns as_of_date, average_health_score, color, share)."""
    if trend.empty:
        return no_data_figure()
    figure = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08, row_heights=[0.45, 0.55])
    average = trend.drop_duplicates("as_of_date").sort_values("as_of_date")
    figure.add_trace(
        go.Scatter(
            name="average health score",
            x=average["as_of_date"],
            y=average["average_health_score"],
            mode="lines",
            line={"color": "#34495e", "width": 2},
            hovertemplate="%{x|%Y-%m-%d}: %{y:.1f}<extra>average health score</extra>",
        ),
        row=1,
        col=1,
    )
    shares = trend.pivot_table(index="as_of_date", columns="color", values="share", fill_value=0)
    for colour in _ordered(shares.columns, HEALTH_COLOURS):
        figure.add_trace(
            go.Scatter(
                name=f"{colour} share",
                x=shares.index,
                y=shares[colour],
                mode="lines",
                stackgroup="colours",
                line={"width": 0.5, "color": HEALTH_COLOURS.get(colour)},
                hovertemplate=f"%{{x|%Y-%m-%d}}: %{{y:.1%}}<extra>{colour}</extra>",
            ),
            row=2,
            col=1,
        )
    figure.update_yaxes(title_text="health score", row=1, col=1)
    figure.update_yaxes(title_text="share of accounts", tickformat=".0%", range=[0, 1], row=2, col=1)
    return _styled(figure, height=560)


def churn_rate_by_grade_chart(effectiveness: pd.DataFrame) -> go.Figure:
    """Backtest churn rate per grade against the base rate (columns grade, churn_rate, base_rate, lift,
    account_snapshots, churned)."""
    if effectiveness.empty:
        return no_data_figure()
    rows = effectiveness.set_index("grade").loc[_ordered(effectiveness["grade"], GRADE_COLOURS)]
    figure = go.Figure(
        go.Bar(
            name="churn rate",
            x=list(rows.index),
            y=rows["churn_rate"].tolist(),
            marker_color=[GRADE_COLOURS.get(grade, "#888888") for grade in rows.index],
            text=[
                _rate_and_lift(rate, lift)
                for rate, lift in zip(rows["churn_rate"], rows["lift"], strict=True)
            ],
            textposition="outside",
            customdata=rows[["churned", "account_snapshots"]].to_numpy(),
            hovertemplate="grade %{x}: %{y:.1%} churned<br>%{customdata[0]} of %{customdata[1]} snapshots"
            "<extra></extra>",
        )
    )
    base_rate = rows["base_rate"].iloc[0]
    if not pd.isna(base_rate):
        figure.add_hline(
            y=float(base_rate),
            line_dash="dash",
            line_color="#555555",
            annotation_text=f"base rate {base_rate:.1%}",
            annotation_position="top left",
        )
    figure.update_layout(showlegend=False)
    figure.update_yaxes(tickformat=".0%", rangemode="tozero")
    return _styled(figure, x_title="grade", y_title="churned within the horizon")


def roc_chart(backtest: pd.DataFrame) -> go.Figure:
    """ROC curves of the churn likelihood and of the health score on the backtest (columns
    health_score, churn_likelihood, churned_within_horizon), with the AUC in the legend."""
    if backtest.empty:
        return no_data_figure()
    if not has_both_outcomes(backtest):
        return no_data_figure(
            "the backtest holds only one outcome (every account churned, or none did): a ROC curve needs both"
        )
    figure = go.Figure(
        [
            go.Scatter(
                name=f"{curve.name} (AUC {curve.auc:.2f})",
                x=curve.false_positive_rate,
                y=curve.true_positive_rate,
                mode="lines",
                line={"width": 2},
                hovertemplate="false positives %{x:.0%}, true positives %{y:.0%}<extra></extra>",
            )
            for curve in roc_curves(backtest)
        ]
    )
    figure.add_trace(
        go.Scatter(
            name="chance (AUC 0.50)",
            x=[0, 1],
            y=[0, 1],
            mode="lines",
            line={"dash": "dash", "color": "#999999", "width": 1},
            hoverinfo="skip",
        )
    )
    figure.update_xaxes(range=[0, 1], tickformat=".0%")
    figure.update_yaxes(range=[0, 1.02], tickformat=".0%")
    return _styled(
        figure,
        x_title="false positive rate (stayed, flagged)",
        y_title="true positive rate (churned, flagged)",
    )


def revenue_at_risk_chart(tiers: pd.DataFrame) -> go.Figure:
    """Today's revenue at risk per priority tier (columns priority_tier, accounts, revenue_at_risk)."""
    if tiers.empty:
        return no_data_figure()
    tiers = tiers.sort_values("priority_tier")
    figure = go.Figure(
        go.Bar(
            name="revenue at risk",
            x=tiers["priority_tier"].tolist(),
            y=tiers["revenue_at_risk"].tolist(),
            marker_color=[TIER_COLOURS.get(tier, "#888888") for tier in tiers["priority_tier"]],
            text=[
                f"{value:,.0f} ({n} accounts)"
                for value, n in zip(tiers["revenue_at_risk"], tiers["accounts"], strict=True)
            ],
            textposition="outside",
            hovertemplate="%{x}: %{y:,.0f}<extra></extra>",
        )
    )
    figure.update_layout(showlegend=False)
    figure.update_yaxes(rangemode="tozero", tickformat=",.0f")
    return _styled(figure, x_title="priority tier", y_title="revenue at risk (a year)")


def capture_chart(capture: pd.DataFrame) -> go.Figure:
    """Share of the churned MRR caught against the share of the list worked, one line per ordering
    (columns method, is_default, list_share, churned_mrr_share); every line runs from (0, 0) to (1, 1)."""
    if capture.empty:
        return no_data_figure()
    figure = go.Figure()
    for method, rows in capture.groupby("method", sort=True):
        default = bool(rows["is_default"].iloc[0])
        x = [0.0, *rows["list_share"].tolist(), 1.0]
        y = [0.0, *rows["churned_mrr_share"].tolist(), 1.0]
        figure.add_trace(
            go.Scatter(
                x=x,
                y=y,
                mode="lines+markers",
                name=f"{method} (the worklist's)" if default else method,
                line={"width": 4 if default else 2, "dash": "dot" if method == "random" else "solid"},
                hovertemplate="top %{x:.0%} of the list: %{y:.0%} of the churned MRR<extra></extra>",
            )
        )
    figure.update_xaxes(tickformat=".0%", range=[0, 1])
    figure.update_yaxes(tickformat=".0%", range=[0, 1.02])
    return _styled(figure, x_title="share of the list worked", y_title="share of the churned MRR caught")


def mrr_movements_chart(movements: pd.DataFrame) -> go.Figure:
    """MRR change per month and kind of movement, gains above zero and losses below, with the net
    change as a line (columns month, movement, mrr_change)."""
    if movements.empty:
        return no_data_figure()
    changes = movements.pivot_table(
        index="month", columns="movement", values="mrr_change", aggfunc="sum", fill_value=0
    )
    # Months as labels ("2026-05"): one bar per month, whatever the number of days in it.
    months = pd.to_datetime(changes.index).strftime("%Y-%m").tolist()
    figure = go.Figure(
        [
            go.Bar(
                name=movement,
                x=months,
                y=changes[movement].tolist(),
                marker_color=MOVEMENT_COLOURS.get(movement),
                hovertemplate=f"%{{x}}: %{{y:,.0f}}<extra>{movement}</extra>",
            )
            for movement in _ordered(changes.columns, MOVEMENT_COLOURS)
        ]
    )
    figure.add_trace(
        go.Scatter(
            name="net change",
            x=months,
            y=changes.sum(axis=1).tolist(),
            mode="lines+markers",
            line={"color": "#222222", "width": 1.5},
            hovertemplate="%{x}: %{y:,.0f}<extra>net change</extra>",
        )
    )
    figure.update_layout(barmode="relative")
    # Labels like "2026-05" would otherwise be read as dates and spread over a time axis.
    figure.update_xaxes(type="category")
    figure.update_yaxes(tickformat=",.0f")
    return _styled(figure, x_title="month", y_title="MRR change")


def no_data_figure(message: str = NO_DATA) -> go.Figure:
    """An empty chart that says why it is empty: it still renders (as an SVG) like any other."""
    figure = go.Figure()
    figure.add_annotation(
        text=message, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False, font={"size": 16}
    )
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    return _styled(figure, height=240)


def _styled(
    figure: go.Figure, x_title: str | None = None, y_title: str | None = None, height: int = HEIGHT
) -> go.Figure:
    """The look every chart shares: white background, legend above, room for the axis titles."""
    figure.update_layout(
        template="plotly_white",
        height=height,
        margin={"l": 70, "r": 30, "t": 50, "b": 60},
        # Stacked traces would list their legend bottom-up; a horizontal legend reads best left to right.
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "traceorder": "normal"},
        font={"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 13},
    )
    if x_title:
        figure.update_xaxes(title_text=x_title)
    if y_title:
        figure.update_yaxes(title_text=y_title)
    return figure


def _rate_and_lift(rate: float, lift: float) -> str:
    """``12.5% (lift 1.8x)``; the lift is unknown (null) when nobody churned at all."""
    return f"{rate:.1%}" if pd.isna(lift) else f"{rate:.1%} (lift {lift:.1f}x)"


def _ordered(values, known: dict[str, str]) -> list[str]:
    """``values`` in the order of ``known`` (grades A-F, colours green to red), unknown ones after, sorted."""
    present = {str(value) for value in values}
    return [value for value in known if value in present] + sorted(present - known.keys())
