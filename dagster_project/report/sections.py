"""What the report shows, in order: each section's chart or table and the sentence saying how to read it."""

from __future__ import annotations

from dagster_project.report import charts
from dagster_project.report.page import Section
from dagster_project.report.queries import TOP_ACCOUNTS, ReportData
from dagster_project.report.table import top_accounts_table


def report_sections(data: ReportData) -> list[Section]:
    """The eight sections of the report, charts first, the worklist last."""
    return [
        Section(
            id="grades",
            title="Grades by segment",
            how_to_read="Each bar is one segment's accounts today, split by health grade from A (best) to F. "
            "Compare the share of D and F between segments rather than the bars' heights: segments differ "
            "in size.",
            figure=charts.grade_distribution_chart(data.grade_distribution),
        ),
        Section(
            id="health-trend",
            title="Health of the book over time",
            how_to_read="Top: the average health score of all scored accounts each day. Bottom: the share of "
            "accounts that are green, yellow and red each day; a growing red band means the book is getting "
            "less healthy.",
            figure=charts.health_trend_chart(data.health_trend),
        ),
        Section(
            id="churn-by-grade",
            title="Churn rate by grade (backtest)",
            how_to_read="Of the accounts that held each grade on past monthly snapshots, the share that "
            "churned within the horizon, and its lift over the dashed base rate of all accounts. Rates that "
            "rise from A to F mean the grades foresee churn.",
            figure=charts.churn_rate_by_grade_chart(data.churn_by_grade),
        ),
        Section(
            id="roc",
            title="How well the scores rank churn (ROC, backtest)",
            how_to_read="Each curve shows, as the threshold goes down, the share of churners flagged "
            "against the share of accounts that stayed but were flagged too. The higher the curve and its "
            "AUC (0.5 is chance, 1 is perfect), the better the score ranks churners first; a low health "
            "score counts as the warning.",
            figure=charts.roc_chart(data.backtest),
        ),
        Section(
            id="revenue-at-risk",
            title="Revenue at risk by priority tier",
            how_to_read="Annual revenue expected to be lost (MRR x 12 x churn likelihood) in each priority "
            "tier of today's worklist, with its number of accounts. P1 is the tier to act on first.",
            figure=charts.revenue_at_risk_chart(data.revenue_by_tier),
        ),
        Section(
            id="mrr-movements",
            title="MRR movements by month",
            how_to_read="Each month's change in MRR by kind: new, reactivation and expansion above zero, "
            "contraction and churn below; the line is the net change. The current month runs to the as-of "
            "date.",
            figure=charts.mrr_movements_chart(data.mrr_movements),
        ),
        Section(
            id="worklist-capture",
            title="Does the worklist catch the revenue that leaves? (backtest)",
            how_to_read="On past days whose outcome is known, each account scored by a churn model trained "
            "only on the outcomes known before that day: working the top x% of the list (across) would have "
            "reached this share of "
            "the MRR that churned within the horizon (up). The worklist's order is the thick line; random is "
            "the diagonal. Figures per segment in marts.worklist_effectiveness.",
            figure=charts.capture_chart(data.capture),
        ),
        Section(
            id="worklist",
            title=f"Top {TOP_ACCOUNTS} accounts of the worklist",
            how_to_read="The accounts to look at first, in priority order, each with one play and the fact "
            "that triggered it; 'details' unfolds the tier, health, risk, reasons and action. The full list "
            f"is marts.prioritized_accounts.{_unassigned_note(data.unassigned)}",
            body_html=top_accounts_table(data.top_accounts),
        ),
    ]


def _unassigned_note(unassigned) -> str:
    """The unassigned queue in words, or nothing when every account has an owner."""
    if unassigned.empty or not int(unassigned["accounts"].iloc[0]):
        return ""
    accounts, p1 = int(unassigned["accounts"].iloc[0]), int(unassigned["p1_accounts"].iloc[0])
    return f" Unassigned queue: {accounts} accounts have no owner, {p1} of them P1."
