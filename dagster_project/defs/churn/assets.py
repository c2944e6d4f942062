"""The churn model trained in the pipeline: fit on the dbt training snapshots, save, report."""

import dagster as dg
from dagster_dbt import get_asset_key_for_model

from dagster_project.churn import fit_churn_model
from dagster_project.defs.churn.training import metrics_row, training_inputs
from dagster_project.defs.dbt.assets import dbt_models
from dagster_project.warehouse.resource import Warehouse

CHURN_GROUP = "churn"


@dg.asset(
    key=["marts", "churn_model_metrics"],
    deps=[get_asset_key_for_model([dbt_models], "int_churn_snapshots")],
    group_name=CHURN_GROUP,
    kinds={"python", "scikitlearn", "duckdb"},
)
def churn_model_metrics(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """Train the churn model on the monthly account snapshots (intermediate.int_churn_snapshots) with a
    time split, save it as a versioned artifact beside the warehouse (models/churn-<version>.joblib),
    and record its validation metrics (AUC, average precision, Brier, top-decile precision and recall,
    calibration) as one dated row per trained model in marts.churn_model_metrics. With too little
    history or too few churn events it warns and falls back to segment churn rates."""
    snapshots = warehouse.query(
        "select * from intermediate.int_churn_snapshots order by snapshot_date, account_id"
    )
    features, label, dates, segments = training_inputs(snapshots)
    model = fit_churn_model(features, label, dates, groups=segments)
    for warning in model.warnings:
        context.log.warning(warning)
    artifact = model.save(warehouse.file.parent / "models" / f"churn-{model.version}.joblib")
    row = metrics_row(model, artifact=str(artifact), trained_on=len(snapshots))
    models = warehouse.replace_rows("marts.churn_model_metrics", row, key="model_version")
    metrics = model.metrics.as_dict()
    return dg.MaterializeResult(
        metadata={
            "model_version": model.version,
            "model_kind": model.kind,
            "training_snapshots": len(snapshots),
            **{
                f"validation_{name}": "n/a" if metrics[name] is None else metrics[name]
                for name in ("auc", "average_precision", "brier", "top_decile_precision", "top_decile_recall")
            },
            "calibration": dg.MetadataValue.json(model.metrics.calibration_frame().to_dict("records")),
            "warnings": "; ".join(model.warnings) or "none",
            "artifact": dg.MetadataValue.path(str(artifact)),
            "models_recorded": models,
        }
    )
