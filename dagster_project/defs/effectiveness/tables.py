"""The recalibration table in the published contract (marts schema)."""

from dagster_project.warehouse.contract import Column, PublishedTable

RECOMMENDED_WEIGHTS = PublishedTable(
    name="marts.recommended_weights",
    description=(
        "Per scorecard and measure, the weight in seeds/scorecard_measures.csv and the weight fitted "
        "against the 90-day churn of past snapshots, with the backtest AUC each set would have had."
    ),
    columns=(
        Column("scorecard_id", "varchar", "The scorecard (seeds/scorecards.csv)."),
        Column("measure", "varchar", "The measure."),
        Column("category", "varchar", "Its category."),
        Column("current_weight", "double", "Its weight in seeds/scorecard_measures.csv."),
        Column(
            "recommended_weight",
            "double",
            "The weight to adopt: fitted (non-negative, summing to 1 per scorecard) when status is "
            "'recommended', else the current weight. Cap measures keep 0.",
        ),
        Column("snapshots", "bigint", "Past snapshots scored with this scorecard whose outcome is known."),
        Column("churned", "bigint", "Of those, how many churned within the horizon."),
        Column(
            "current_auc", "double", "AUC of the health score on this scorecard's snapshots, current weights."
        ),
        Column("recommended_auc", "double", "The same with the recommended weights."),
        Column(
            "all_current_auc",
            "double",
            "AUC over all snapshots of every scorecard with the current weights "
            "(score_effectiveness' health_score_auc).",
        ),
        Column(
            "all_recommended_auc",
            "double",
            "The same once every scorecard's recommended weights are adopted.",
        ),
        Column("status", "varchar", "'recommended', or why the scorecard keeps its current weights."),
        Column(
            "labels_known_before", "date", "Only snapshots whose outcome was final before this day were used."
        ),
    ),
)
