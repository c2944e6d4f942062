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
    description=(
        "Today's worklist: every active account in order of what is at stake, overall and within its "
        "owner's queue, with one play each."
    ),
    columns=(
        Column("as_of_date", "date", "The day."),
        Column("priority_rank", "bigint", "1 = the account to look at first (highest priority score)."),
        Column("queue", "varchar", "The account's owner, or 'unassigned' when it has none."),
        Column("owner_rank", "bigint", "The same order within the queue (the owner's book, or unassigned)."),
        Column("account_id", "varchar", "The account."),
        Column("account_name", "varchar", "The account's name."),
        Column("owner", "varchar", "The CSM who owns the account; null when unassigned."),
        Column("segment", "varchar", "Segment."),
        Column(
            "play",
            "varchar",
            "The one play for the account: the first of seeds/worklist_plays.csv whose trigger holds.",
        ),
        Column("play_kind", "varchar", "save or grow: what the play does (it sets the tier)."),
        Column("play_reason", "varchar", "The fact that triggered the play, with its number and comparison."),
        Column("recommended_action", "varchar", "The play's action (seeds/worklist_plays.csv)."),
        Column(
            "reasons",
            "varchar",
            "At most three reasons: the play's fact, health, and the churn risk when it is material.",
        ),
        Column("signal", "varchar", "RISK, OPPORTUNITY, POWER_USER or NONE (marts.customer_signals)."),
        Column("grade", "varchar", "Health grade A-F."),
        Column("health_score", "double", "Health score 0-100."),
        Column("churn_likelihood", "double", "Probability of churn within risk_horizon_days."),
        Column("risk_horizon_days", "bigint", "The horizon of churn_likelihood, in days."),
        Column("days_to_renewal", "bigint", "Days until the account's next renewal; null without one."),
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
        Column(
            "priority_score",
            "double",
            "What orders the list (priority_method): by default churn likelihood x annual revenue x renewal "
            "urgency, the revenue expected to be lost; or (100 - health) / 100 x lifetime value.",
        ),
        Column("priority_tier", "varchar", "P1 save now, P2 protect and grow, P3 digital save, P4 automate."),
        Column("tier_name", "varchar", "The tier in words (seeds/priority_tiers.csv)."),
    ),
)

WORKLIST_EFFECTIVENESS = PublishedTable(
    name="marts.worklist_effectiveness",
    description=(
        "Does the worklist catch the revenue that leaves? On every past snapshot with a known outcome, "
        "scored out of sample, the share of the churned MRR and of the churners in the top of the list, "
        "per ordering method."
    ),
    columns=(
        Column(
            "method",
            "varchar",
            "expected_loss, health_x_lifetime_value, churn_likelihood_x_mrr or random (expected value).",
        ),
        Column("is_default", "boolean", "Whether the method is the worklist's (priority_method)."),
        Column("segment", "varchar", "'all' (the whole book's list), or a segment (that segment's list)."),
        Column("list_share", "double", "The top share of each day's list worked: 0.05, 0.1, 0.2 or 0.5."),
        Column(
            "churned_mrr_share",
            "double",
            "MRR of the churners in the top over the MRR of all churners; null when none churned.",
        ),
        Column("churner_share", "double", "Churners in the top over all churners; null when none churned."),
        Column("snapshots", "bigint", "Snapshot days measured."),
        Column("account_snapshots", "bigint", "Account-days measured."),
        Column("churners", "bigint", "Account-days that churned within the horizon."),
        Column("churned_mrr", "double", "Their MRR on the snapshot day (reporting currency)."),
    ),
)
