"""Jobs and the schedule: what a run materialises, and when the daily one starts."""

import dagster as dg

from dagster_project.defs.partitions import DEPLOYMENT

everything_job = dg.define_asset_job(
    name="health_warehouse",
    selection=dg.AssetSelection.all(),
    # One warehouse-writing run at a time: see the run queue's tag limit in the README's Deployment notes.
    tags={"health/writes": "warehouse"},
    description=(
        "Land the raw tables from the configured source, build the dbt models for the run's days, then "
        "train and score the churn model, the signals and the worklist. One day from the schedule, any "
        "range of days as one run from a backfill."
    ),
)

# At schedule_hour:schedule_minute (deployment.toml, in its timezone) each day, the day that just ended.
daily_schedule = dg.build_schedule_from_partitioned_job(
    everything_job,
    hour_of_day=DEPLOYMENT.schedule_hour,
    minute_of_hour=DEPLOYMENT.schedule_minute,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
