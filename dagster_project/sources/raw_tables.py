"""The canonical raw layer: one table per source entity, the same columns whichever source fills it.

This module is the contract between the connectors (demo, files, api) and the
warehouse. Every connector yields rows with exactly these columns (in this
order); the landing step adds the load metadata columns. The dbt sources in
``dbt/models/staging/*/_*__sources.yml`` describe the same columns, and a test
keeps the two in step.

Conventions:
- money is an integer in minor units (cents) with a ``currency`` column;
- timestamps are UTC, without a time zone (``TIMESTAMP``);
- ``account_id`` keys an account across sources: a Stripe customer's
  ``metadata.account_id`` (else its id), an Intercom company's ``company_id``;
- ``metadata`` columns hold the source object's flat metadata as JSON text.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa


@dataclass(frozen=True)
class Column:
    name: str
    type: pa.DataType
    description: str
    required: bool = False

    @property
    def sql_type(self) -> str:
        return _SQL_TYPES[self.type]


@dataclass(frozen=True)
class DayPartition:
    """The day of a row's timestamp, stored with it by the landing: the large tables are kept in
    partitions of it where the engine has partitions (Spark's lake), so a read of a few days opens
    only their files."""

    column: Column
    day_of: str


@dataclass(frozen=True)
class RawTable:
    """One raw table: its name in schema ``raw``, its primary key and its columns."""

    name: str
    description: str
    primary_key: str
    columns: tuple[Column, ...]
    # The column that says which account a row belongs to, checked against billing customers.
    account_column: str | None = "account_id"
    # Rows that are parts of another object (a subscription's items): its id. They are landed by that
    # id, so a re-read object replaces all of its parts and a part it no longer has disappears.
    parent_key: str | None = None
    day_partition: DayPartition | None = None

    @property
    def column_names(self) -> list[str]:
        """The columns a connector delivers."""
        return [c.name for c in self.columns]

    @property
    def stored_columns(self) -> tuple[Column, ...]:
        """The columns of the table in the warehouse: the delivered ones, the load metadata, and the
        day partition (last, where Spark keeps a partition column)."""
        day = (self.day_partition.column,) if self.day_partition else ()
        return self.columns + LOAD_COLUMNS + day

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    @property
    def arrow_schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, c.type) for c in self.columns])

    def empty(self) -> pa.Table:
        return self.arrow_schema.empty_table()


TS = pa.timestamp("us")
STR = pa.string()
INT = pa.int64()
BOOL = pa.bool_()
FLOAT = pa.float64()
DATE = pa.date32()

_SQL_TYPES = {
    TS: "TIMESTAMP",
    STR: "VARCHAR",
    INT: "BIGINT",
    BOOL: "BOOLEAN",
    FLOAT: "DOUBLE",
    DATE: "DATE",
}


def _col(name: str, type_: pa.DataType, description: str, required: bool = False) -> Column:
    return Column(name, type_, description, required)


STRIPE_CUSTOMERS = RawTable(
    name="stripe_customers",
    description="Billing customers (Stripe `customer` objects).",
    primary_key="customer_id",
    columns=(
        _col("customer_id", STR, "Stripe customer id (`cus_...`).", required=True),
        _col("account_id", STR, "Account key: `metadata.account_id`, else the customer id.", required=True),
        _col("name", STR, "Customer name."),
        _col("email", STR, "Billing e-mail."),
        _col("currency", STR, "Default currency (ISO 4217, lower case)."),
        _col("delinquent", BOOL, "Stripe's flag: the latest invoice failed or is past due."),
        _col("deleted", BOOL, "Stripe's `deleted: true`: the customer was deleted; its subscriptions ended."),
        _col("created_at", TS, "When the customer was created (UTC); unknown for a deleted customer's stub."),
        _col("metadata", STR, "The customer's metadata as JSON text."),
    ),
)

STRIPE_SUBSCRIPTIONS = RawTable(
    name="stripe_subscriptions",
    description="Subscriptions of every status (`status=all`), one row per subscription.",
    primary_key="subscription_id",
    columns=(
        _col("subscription_id", STR, "Stripe subscription id (`sub_...`).", required=True),
        _col("customer_id", STR, "The billing customer.", required=True),
        _col(
            "account_id",
            STR,
            "Account key of the customer, when the source knows it (else resolved in staging).",
        ),
        _col(
            "status",
            STR,
            "trialing, active, past_due, unpaid, canceled, incomplete, incomplete_expired or paused.",
            required=True,
        ),
        _col("created_at", TS, "When the subscription was created (UTC).", required=True),
        _col("started_at", TS, "`start_date`: when billing started (UTC)."),
        _col("current_period_start", TS, "Start of the current billing period (UTC)."),
        _col("current_period_end", TS, "End of the current billing period (UTC); the next renewal."),
        _col("cancel_at_period_end", BOOL, "The customer asked to cancel at the end of the period."),
        _col("canceled_at", TS, "When cancellation was requested (UTC)."),
        _col("ended_at", TS, "When the subscription ended (UTC)."),
        _col("metadata", STR, "The subscription's metadata as JSON text."),
    ),
)

STRIPE_SUBSCRIPTION_ITEMS = RawTable(
    name="stripe_subscription_items",
    description="Items of each subscription (`items.data[]`) with their price.",
    primary_key="subscription_item_id",
    columns=(
        _col("subscription_item_id", STR, "Stripe subscription item id (`si_...`).", required=True),
        _col("subscription_id", STR, "The subscription the item belongs to.", required=True),
        _col("price_id", STR, "Stripe price id (`price_...`).", required=True),
        _col("product_id", STR, "Stripe product id (`prod_...`)."),
        _col("plan_name", STR, "Price nickname or product name, e.g. `growth`."),
        _col("unit_amount", INT, "Price per unit per interval, in minor units (null for tiered prices)."),
        _col(
            "amount_per_interval",
            INT,
            "What the item bills per interval at its quantity, minor units: unit amount x quantity, or "
            "the price's tiers applied to it; null when only invoices can say (metered usage, unknown "
            "tiers).",
        ),
        _col("usage_type", STR, "licensed (billed by quantity) or metered (billed on reported usage)."),
        _col("currency", STR, "Currency of the price (ISO 4217, lower case).", required=True),
        _col("interval", STR, "Billing interval: day, week, month or year.", required=True),
        _col("interval_count", INT, "Number of intervals between bills (e.g. 3 months).", required=True),
        _col("quantity", INT, "Quantity (seats) on the item.", required=True),
        _col("created_at", TS, "When the item was added (UTC)."),
    ),
    account_column=None,
    parent_key="subscription_id",
)

STRIPE_INVOICES = RawTable(
    name="stripe_invoices",
    description="Invoices (Stripe `invoice` objects).",
    primary_key="invoice_id",
    columns=(
        _col("invoice_id", STR, "Stripe invoice id (`in_...`).", required=True),
        _col("customer_id", STR, "The billing customer.", required=True),
        _col(
            "account_id",
            STR,
            "Account key of the customer, when the source knows it (else resolved in staging).",
        ),
        _col("subscription_id", STR, "The subscription billed, if any."),
        _col("status", STR, "draft, open, paid, uncollectible or void.", required=True),
        _col("currency", STR, "Invoice currency (ISO 4217, lower case).", required=True),
        _col("amount_due", INT, "Amount due, minor units.", required=True),
        _col("amount_paid", INT, "Amount paid, minor units.", required=True),
        _col("amount_remaining", INT, "Amount still owed, minor units."),
        _col("attempt_count", INT, "Payment attempts so far."),
        _col("created_at", TS, "When the invoice was created (UTC).", required=True),
        _col("due_at", TS, "`due_date` (UTC), if the invoice has one."),
        _col("paid_at", TS, "`status_transitions.paid_at` (UTC)."),
        _col("period_start", TS, "Start of the period billed (UTC)."),
        _col("period_end", TS, "End of the period billed (UTC)."),
    ),
)

STRIPE_INVOICE_LINE_ITEMS = RawTable(
    name="stripe_invoice_line_items",
    description="Invoice line items (`lines.data[]`) with their price and period.",
    primary_key="line_item_id",
    columns=(
        _col("line_item_id", STR, "Stripe line item id (`il_...`).", required=True),
        _col("invoice_id", STR, "The invoice the line belongs to.", required=True),
        _col("subscription_id", STR, "The subscription billed, if any."),
        _col("subscription_item_id", STR, "The subscription item billed, if any."),
        _col("price_id", STR, "Stripe price id."),
        _col("plan_name", STR, "Price nickname or product name."),
        _col("unit_amount", INT, "Price per unit per interval, minor units."),
        _col("interval", STR, "Billing interval of the price: day, week, month or year."),
        _col("interval_count", INT, "Intervals between bills."),
        _col("quantity", INT, "Quantity billed."),
        _col(
            "amount",
            INT,
            "Line amount, minor units (negative for credits), before discounts; includes tax only where "
            "the price is tax-inclusive.",
            required=True,
        ),
        _col("discount_amount", INT, "Discounts on the line (sum of `discount_amounts`), minor units."),
        _col(
            "inclusive_tax_amount",
            INT,
            "Tax included in `amount` by tax-inclusive prices (`taxes` / `tax_amounts`), minor units.",
        ),
        _col("currency", STR, "Currency (ISO 4217, lower case).", required=True),
        _col("period_start", TS, "Start of the period the line covers (UTC).", required=True),
        _col("period_end", TS, "End of the period the line covers (UTC).", required=True),
        _col("proration", BOOL, "True for proration lines (mid-period changes).", required=True),
        _col("description", STR, "Line description."),
    ),
    account_column=None,
    parent_key="invoice_id",
)

INTERCOM_COMPANIES = RawTable(
    name="intercom_companies",
    description="Intercom companies: one per account, with its account owner (CSM).",
    primary_key="company_id",
    columns=(
        _col("company_id", STR, "The company's `company_id`: the account key.", required=True),
        _col("account_id", STR, "Account key (equal to `company_id`).", required=True),
        _col("intercom_id", STR, "Intercom's own id for the company."),
        _col("name", STR, "Company name."),
        _col("plan_name", STR, "Plan name recorded in Intercom."),
        _col("industry", STR, "Industry."),
        _col("employee_count", INT, "Company size (employees)."),
        _col(
            "account_owner", STR, "The CSM: `custom_attributes.account_owner`, else the assigned team member."
        ),
        _col("created_at", TS, "When the company was created (UTC).", required=True),
        _col("updated_at", TS, "When the company last changed (UTC)."),
    ),
)

INTERCOM_CONTACTS = RawTable(
    name="intercom_contacts",
    description="Intercom contacts (users and leads) with their company.",
    primary_key="contact_id",
    columns=(
        _col("contact_id", STR, "Intercom contact id.", required=True),
        _col("external_id", STR, "The product's own user id."),
        _col("account_id", STR, "`company_id` of the contact's (first) company."),
        _col("email", STR, "E-mail."),
        _col("name", STR, "Name."),
        _col("role", STR, "user or lead."),
        _col("created_at", TS, "When the contact was created (UTC).", required=True),
        _col("updated_at", TS, "When the contact last changed (UTC)."),
        _col("last_seen_at", TS, "When the contact was last seen (UTC)."),
    ),
)

INTERCOM_EVENTS = RawTable(
    name="intercom_events",
    description="Product usage: Intercom data events, one row per event.",
    primary_key="event_id",
    columns=(
        _col(
            "event_id",
            STR,
            "The export's `event_id`, else a stable hash of the event (Intercom has no event id).",
            required=True,
        ),
        _col("event_name", STR, "Past-tense verb-noun, e.g. `created-report`.", required=True),
        _col("occurred_at", TS, "When the event happened (UTC).", required=True),
        _col("contact_id", STR, "The contact who did it."),
        _col("account_id", STR, "`company_id` of the contact's company."),
        _col("metadata", STR, "The event's flat metadata as JSON text."),
    ),
    day_partition=DayPartition(
        _col("occurred_on", DATE, "The day of `occurred_at` (UTC): the table's partitions on Spark."),
        day_of="occurred_at",
    ),
)

INTERCOM_CONVERSATIONS = RawTable(
    name="intercom_conversations",
    description="Conversations between an account's contacts and the team.",
    primary_key="conversation_id",
    columns=(
        _col("conversation_id", STR, "Intercom conversation id.", required=True),
        _col("account_id", STR, "`company_id` of the contact's company."),
        _col("contact_id", STR, "The contact in the conversation."),
        _col("initiated_by", STR, "Who started it: customer or team.", required=True),
        _col("answered_by", STR, "Who answered first: customer, team, or null when nobody did."),
        _col("state", STR, "open, closed or snoozed."),
        _col("admin_assignee_id", STR, "Assigned team member."),
        _col("created_at", TS, "When it started (UTC).", required=True),
        _col("first_response_at", TS, "When the other side first answered (UTC)."),
        _col("updated_at", TS, "When it last changed (UTC)."),
        _col("rating", INT, "Conversation rating 1-5, if rated."),
    ),
)

INTERCOM_TICKETS = RawTable(
    name="intercom_tickets",
    description="Support tickets with priority, state and rating.",
    primary_key="ticket_id",
    columns=(
        _col("ticket_id", STR, "Intercom ticket id.", required=True),
        _col("account_id", STR, "`company_id` of the contact's company."),
        _col("contact_id", STR, "The contact who raised it."),
        _col("category", STR, "Customer, Back-office or Tracker."),
        _col("title", STR, "`_default_title_`."),
        _col("priority", STR, "low, normal, high or urgent.", required=True),
        _col("state", STR, "submitted, in_progress, waiting_on_customer or resolved.", required=True),
        _col("created_at", TS, "When it was raised (UTC).", required=True),
        _col("updated_at", TS, "When it last changed (UTC)."),
        _col("closed_at", TS, "When it was resolved (UTC); null while open."),
        _col("rating", INT, "CSAT rating 1-5 given on the ticket, if any."),
    ),
)

INTERCOM_SURVEY_RESPONSES = RawTable(
    name="intercom_survey_responses",
    description="NPS (0-10) and CSAT (1-5) survey responses.",
    primary_key="response_id",
    columns=(
        _col("response_id", STR, "Survey response id.", required=True),
        _col("survey_type", STR, "nps or csat.", required=True),
        _col("score", INT, "NPS 0-10 or CSAT 1-5.", required=True),
        _col("account_id", STR, "`company_id` of the respondent's company."),
        _col("contact_id", STR, "The respondent."),
        _col("responded_at", TS, "When the answer was given (UTC).", required=True),
        _col("comment", STR, "Free-text comment."),
    ),
)

RAW_TABLES: dict[str, RawTable] = {
    t.name: t
    for t in (
        STRIPE_CUSTOMERS,
        STRIPE_SUBSCRIPTIONS,
        STRIPE_SUBSCRIPTION_ITEMS,
        STRIPE_INVOICES,
        STRIPE_INVOICE_LINE_ITEMS,
        INTERCOM_COMPANIES,
        INTERCOM_CONTACTS,
        INTERCOM_EVENTS,
        INTERCOM_CONVERSATIONS,
        INTERCOM_TICKETS,
        INTERCOM_SURVEY_RESPONSES,
    )
}


def requested_tables(tables: list[str]) -> list[str]:
    """The requested raw tables in order, once each; an unknown name is a programming error."""
    unknown = [t for t in tables if t not in RAW_TABLES]
    if unknown:
        raise ValueError(f"unknown raw tables: {unknown}; known: {sorted(RAW_TABLES)}")
    return list(dict.fromkeys(tables))


# Load metadata added to every raw row by the landing step.
LOAD_COLUMNS: tuple[Column, ...] = (
    _col("_source", STR, "Which connector loaded the row: demo, files or api."),
    _col("_loaded_at", TS, "When the row was landed (UTC)."),
    _col("_batch_id", STR, "Id of the load that landed the row (one per asset run)."),
)

QUARANTINE_TABLE = "quarantine"
# The older copies of objects read twice in one load, beside the quarantine and in its shape: kept, not lost.
SUPERSEDED_TABLE = "superseded"
QUARANTINE_COLUMNS: tuple[Column, ...] = (
    _col("source_table", STR, "The raw table the record was meant for."),
    _col("record", STR, "The original record, as text."),
    _col("reason", STR, "Why it was not landed."),
) + LOAD_COLUMNS

# Only billing is required in files mode; everything else may be absent.
REQUIRED_TABLES = frozenset({"stripe_customers", "stripe_subscriptions"})
