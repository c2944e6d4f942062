"""The raw layer: one Dagster asset per raw table, all landed by one step from the configured source."""

from datetime import UTC, datetime

import dagster as dg

from dagster_project.defs.ingestion.currencies import BILLING_CURRENCIES, check_currencies
from dagster_project.defs.ingestion.landing import LandingReport, ensure_raw_schema, land, stored_cursors
from dagster_project.defs.ingestion.resources import RawSource
from dagster_project.defs.owners import DATA_ENGINEERING
from dagster_project.sources.raw_tables import RAW_TABLES
from dagster_project.warehouse.resource import Warehouse

RAW_GROUP = "raw"


def raw_asset_key(table: str) -> dg.AssetKey:
    """The asset key of a raw table; dbt sources name the same key."""
    return dg.AssetKey(["raw", table])


RAW_SPECS = [
    dg.AssetSpec(
        key=raw_asset_key(table.name),
        description=f"{table.description} Lands `raw.{table.name}` from the configured source "
        "(HEALTH_SOURCE: demo, files or api); bad records go to `raw.quarantine`.",
        group_name=RAW_GROUP,
        kinds={"duckdb", "python"},
        owners=[DATA_ENGINEERING],
        metadata={
            "primary_key": table.primary_key,
            "dagster/column_schema": dg.TableSchema(
                columns=[
                    dg.TableColumn(c.name, c.sql_type.lower(), description=c.description)
                    for c in table.columns
                ]
            ),
        },
    )
    for table in RAW_TABLES.values()
]


def report_metadata(report: LandingReport) -> dict[str, dg.MetadataValue]:
    """Asset metadata shown in the UI for one landed table."""
    return {
        "source": dg.MetadataValue.text(report.origin),
        "mode": dg.MetadataValue.text(report.mode),
        "records_read": dg.MetadataValue.int(report.read),
        "rows_landed": dg.MetadataValue.int(report.landed),
        "rows_unchanged": dg.MetadataValue.int(report.unchanged),
        "records_superseded": dg.MetadataValue.int(report.superseded),
        "records_quarantined": dg.MetadataValue.int(report.quarantined),
        "records_skipped": dg.MetadataValue.json(report.skipped),
        "reconciles": dg.MetadataValue.bool(report.reconciles),
        "dagster/row_count": dg.MetadataValue.int(report.rows_in_table),
        "unmatched_account_records": dg.MetadataValue.int(report.unmatched_account_records),
        "quarantine_reasons": dg.MetadataValue.json(report.reasons),
        "cursor": dg.MetadataValue.text(_shortened(report.cursor or "")),
        # Reading the source into the table's scratch copy; the swap of every table at the end is the
        # step's own time.
        "landing_seconds": dg.MetadataValue.float(round(report.seconds, 2)),
    }


def _shortened(text: str, limit: int = 300) -> str:
    """A cursor as the UI shows it: a files cursor lists every part landed, too long to read there."""
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text):,} characters in raw._sync_cursors)"


@dg.multi_asset(
    name="land_raw_tables",
    specs=RAW_SPECS,
    can_subset=True,
    description="Extract every selected raw table from the configured source and land them together.",
)
def raw_tables(context: dg.AssetExecutionContext, warehouse: Warehouse, raw_source: RawSource):
    tables = [key.path[-1] for key in context.selected_asset_keys]
    # Billing customers first: other tables' unmatched counts are measured against them.
    tables.sort(key=lambda name: (name != "stripe_customers", list(RAW_TABLES).index(name)))
    source = raw_source.build()
    with warehouse.session() as session:
        ensure_raw_schema(session)
        cursors = stored_cursors(session)
        reports = land(
            session,
            source.extract(tables, cursors),
            source=source.name,
            batch_id=context.run.run_id,
            loaded_at=datetime.now(UTC).replace(tzinfo=None),
            # A generator's snapshot is whatever size it was asked for; an export that shrank is suspect.
            max_shrink=None if source.name == "demo" else raw_source.max_shrink(),
        )
        if BILLING_CURRENCIES.keys() & set(reports):
            check_currencies(session)
    for table, report in reports.items():
        for reason, count in report.skipped.items():
            context.log.info(f"raw.{table}: skipped {count} records that are not {table} rows: {reason}")
        if report.superseded:
            context.log.info(
                f"raw.{table}: {report.superseded} older copies of objects read twice in this pull were "
                "superseded by their newer copy"
            )
        if report.unmatched_account_records:
            context.log.warning(
                f"raw.{table}: {report.unmatched_account_records} rows match no billing customer's account"
            )
        yield dg.MaterializeResult(asset_key=raw_asset_key(table), metadata=report_metadata(report))
