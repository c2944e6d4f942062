"""The worklist tables in the published contract (marts schema): signals and the prioritised accounts."""

from dagster_project.warehouse.contract import Column, PublishedTable

_SIGNAL_COLUMNS = (
    Column(
        "peer_group", "varchar", "Whom the account is compared with: its segment's name, or 'all accounts'."
    ),
    Column(
        "signal",
        "varchar",
        "RISK, OPPORTUNITY, POWER_USER or NONE (ProfitWell's definitions, see the README).",
    ),
    Column("churn_likelihood", "double", "Probability of churn within 90 days (marts.churn_predictions)."),
    Column("peer_churn_likelihood", "double", "Average churn likelihood of the peer group that day."),
    Column("engagement_score", "double", "The engagement category score of the health score (0-100)."),
    Column(
        "engagement_percentile",
        "double",
        "Mid-rank percentile of the engagement score among the peers (0-100).",
    ),
    Column("peer_engagement_score", "double", "Average engagement score of the peer group that day."),
    Column("mrr", "double", "MRR that day (reporting currency)."),
    Column("peer_arpu", "double", "The peer group's ARPU: average MRR of its active accounts that day."),
    Column(
        "reason",
        "varchar",
        "The comparisons behind the signal, with numbers: 'churn likelihood 34% vs 12% in segment growth; "
        "engagement at the 18th percentile; MRR 420 vs ARPU 610'.",
    ),
    Column("action", "varchar", "The signal's action item (seeds/signal_actions.csv)."),
)

CUSTOMER_SIGNALS_HISTORY = PublishedTable(
    name="marts.customer_signals_history",
    description="The signal of every active account on every as-of date; compare days to find transitions.",
    columns=(
        Column("as_of_date", "date", "The day."),
        Column("account_id", "varchar", "The account."),
        Column("segment", "varchar", "The account's segment that day."),
        *_SIGNAL_COLUMNS,
    ),
)

CUSTOMER_SIGNALS = PublishedTable(
    name="marts.customer_signals",
    description="Today's signal of every active account, what it was the day before and since when it holds.",
    columns=(
        Column("as_of_date", "date", "The day (the latest of the history)."),
        Column("account_id", "varchar", "The account."),
        Column("account_name", "varchar", "The account's name."),
        Column("account_owner", "varchar", "The CSM who owns the account; null when unassigned."),
        Column("segment", "varchar", "The account's segment that day."),
        Column("previous_signal", "varchar", "The signal on the previous day; null if the account had none."),
        Column(
            "signal_since", "date", "First day of the current run of this signal (the day it was entered)."
        ),
        *_SIGNAL_COLUMNS,
    ),
)

PRIORITIZED_ACCOUNTS = PublishedTable(
    name="marts.prioritized_accounts",
    description="Today's worklist: every active account in order of priority, overall and within its owner.",
    columns=(
        Column("as_of_date", "date", "The day."),
        Column("priority_rank", "bigint", "1 = the account to look at first (highest priority score)."),
        Column("owner_rank", "bigint", "The same order within the account owner's book."),
        Column("account_id", "varchar", "The account."),
        Column("account_name", "varchar", "The account's name."),
        Column("owner", "varchar", "The CSM who owns the account; null when unassigned."),
        Column("segment", "varchar", "Segment."),
        Column("signal", "varchar", "RISK, OPPORTUNITY, POWER_USER or NONE (marts.customer_signals)."),
        Column("grade", "varchar", "Health grade A-F."),
        Column("health_score", "double", "Health score 0-100."),
        Column("churn_likelihood", "double", "Probability of churn within 90 days."),
        Column("lifetime_value", "double", "Revenue to date: the sum of the account's paid invoices."),
        Column(
            "expected_future_value",
            "double",
            "MRR x expected remaining months, 1 / monthly churn probability implied by the churn likelihood, "
            "capped at future_value_months (seeds/worklist_settings.csv).",
        ),
        Column("mrr", "double", "MRR (reporting currency)."),
        Column(
            "revenue_at_risk", "double", "MRR x 12 x churn likelihood: annual revenue expected to be lost."
        ),
        Column("priority_score", "double", "(100 - health score) / 100 x lifetime value."),
        Column("priority_tier", "varchar", "P1 save now, P2 protect and grow, P3 digital save, P4 automate."),
        Column(
            "recommended_action",
            "varchar",
            "The tier's action, and the signal's action item when it has one.",
        ),
        Column(
            "reasons",
            "varchar",
            "Why the account is here: health and its drivers, churn likelihood and its drivers, signal.",
        ),
    ),
)
