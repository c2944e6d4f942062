"""Who owns what, as shown in the Dagster UI: whom to ask when an asset fails or looks wrong."""

# Ingestion, publishing, alerts: connections, schedules and the copy BI tools read.
DATA_ENGINEERING = "team:data-engineering"
# Scoring, churn model, signals and the worklist: changed through seeds, SQL and the model.
ANALYTICS = "team:analytics"
