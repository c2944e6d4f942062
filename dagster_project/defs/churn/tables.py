"""The churn tables in the published contract (marts schema), written by the churn assets."""

from dagster_project.warehouse.contract import Column, PublishedTable

CHURN_MODEL_METRICS = PublishedTable(
    name="marts.churn_model_metrics",
    description="One row per trained churn model: what it is, what it was trained on and how it validated.",
    columns=(
        Column(
            "model_version",
            "varchar",
            "Short hash of the model kind, features, parameters and training data.",
        ),
        Column(
            "model_kind",
            "varchar",
            "logistic_regression, gradient_boosting, blend (their mean) or segment_prior (the fallback).",
        ),
        Column("trained_at", "timestamp", "When it was trained (UTC)."),
        Column("training_snapshots", "bigint", "Labelled account snapshots it learnt from."),
        Column(
            "horizon_days",
            "integer",
            "Days after a snapshot within which churn counts (`churn_horizon_days`).",
        ),
        Column(
            "validation_from", "date", "First snapshot date of the validation window (the most recent ones)."
        ),
        Column("validation_n", "bigint", "Snapshots in the validation window."),
        Column("validation_positives", "bigint", "Churned snapshots in the validation window."),
        Column("validation_base_rate", "double", "Churn rate of the validation window."),
        Column(
            "validation_auc",
            "double",
            "Area under the ROC curve on the validation window; null if undefined.",
        ),
        Column("validation_average_precision", "double", "Average precision on the validation window."),
        Column("validation_brier", "double", "Brier score (mean squared error of the probabilities)."),
        Column("validation_top_decile_n", "bigint", "Snapshots in the top decile of predicted likelihood."),
        Column("validation_top_decile_precision", "double", "Share of the top decile that churned."),
        Column("validation_top_decile_recall", "double", "Share of all churners found in the top decile."),
        Column(
            "validation_calibration",
            "varchar",
            "Calibration table (JSON): per bin, mean predicted vs observed rate.",
        ),
        Column(
            "warnings", "varchar", "Why the model fell back or ignored a feature; empty when all went well."
        ),
        Column("artifact", "varchar", "Path of the saved model (joblib)."),
    ),
)

_PREDICTION_COLUMNS = (
    Column("as_of_date", "date", "The day the prediction is for (features as of that day)."),
    Column("account_id", "varchar", "The account."),
    Column("segment", "varchar", "The account's segment that day."),
    Column(
        "churn_likelihood",
        "double",
        "Calibrated probability that the account churns within the horizon (90 days).",
    ),
    Column(
        "segment_churn_likelihood",
        "double",
        "Average churn likelihood of the segment's active accounts that day.",
    ),
    Column(
        "likelihood_to_segment",
        "double",
        "churn_likelihood / segment_churn_likelihood (2 = twice the segment's); null when the average is 0.",
    ),
    Column("model_version", "varchar", "The model that made the prediction (marts.churn_model_metrics)."),
)

CHURN_PREDICTIONS_HISTORY = PublishedTable(
    name="marts.churn_predictions_history",
    description="Churn likelihood of every active account on every as-of date, against its segment's.",
    columns=_PREDICTION_COLUMNS,
)

CHURN_PREDICTIONS = PublishedTable(
    name="marts.churn_predictions",
    description=(
        "Today's churn likelihood of every active account, against its segment's average, "
        "with the top three drivers in words."
    ),
    columns=(
        *_PREDICTION_COLUMNS,
        Column(
            "drivers",
            "varchar",
            "Up to three features pushing the likelihood up, strongest first, with the account's value and "
            "the "
            "average ('low active users (30 days): 2 vs 8.4 on average'); empty for the fallback model.",
        ),
        Column(
            "held_down_by",
            "varchar",
            "Up to three features pushing the likelihood down, strongest first, in the same words ('high "
            "tenure (months): 48 vs 20 on average'): why a weak account may still carry little risk.",
        ),
    ),
)

# A past monthly snapshot of an account, and what happened within the horizon after it.
_SNAPSHOT = (
    Column("account_id", "varchar", "The account."),
    Column("as_of_date", "date", "The snapshot day (first of a month)."),
    Column("segment", "varchar", "The account's segment that day."),
    Column("health_score", "double", "The health score that day."),
)
_OUTCOME = Column("churned_within_horizon", "integer", "1 if the account churned within the horizon, else 0.")

CHURN_BACKTEST = PublishedTable(
    name="marts.churn_backtest",
    description=(
        "The churn model's time split, row by row: each snapshot of the validation window (the latest "
        "monthly snapshots) with the likelihood the model trained only on earlier snapshots gave it, and "
        "what happened. Rewritten by every training."
    ),
    columns=(
        *_SNAPSHOT,
        Column(
            "churn_likelihood",
            "double",
            "Probability of churn within the horizon, from the model trained before the validation window.",
        ),
        _OUTCOME,
        Column("model_version", "varchar", "The model whose validation this is (marts.churn_model_metrics)."),
    ),
)

CHURN_WALK_FORWARD = PublishedTable(
    name="marts.churn_walk_forward",
    description=(
        "Every past monthly snapshot whose outcome is known, scored as it could have been that day: by a "
        "model of the current model's kind trained only on the snapshots whose outcome was known before "
        "it. Snapshot days with too few known churned or retained snapshots before them are left out. "
        "marts.worklist_effectiveness orders the worklist on it. Rewritten when the model is retrained."
    ),
    columns=(
        *_SNAPSHOT,
        Column("churn_likelihood", "double", "Probability of churn within the horizon, as it was that day."),
        _OUTCOME,
        Column("trained_on_snapshots", "bigint", "How many snapshots the day's model learnt from."),
        Column(
            "labels_known_by",
            "date",
            "The last day on which an outcome the day's model learnt from became known: before as_of_date.",
        ),
        Column("model_kind", "varchar", "The kind of the day's model (that of marts.churn_model_metrics)."),
    ),
)
