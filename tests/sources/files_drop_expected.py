"""What loading tests/fixtures/files_drop must give, worked out by hand from its files."""

from pathlib import Path

DROP = Path(__file__).resolve().parents[1] / "fixtures" / "files_drop"

# Worked out by hand from the fixture files: (table, exact reason).
EXPECTED_QUARANTINE = [
    ("stripe_customers", "stripe/customers.jsonl line 5: created: not a unix timestamp (got 'yesterday')"),
    (
        "stripe_customers",
        "stripe/customers.jsonl line 6: "
        "invalid JSON: Expecting property name enclosed in double quotes (column 62)",
    ),
    ("stripe_subscriptions", "stripe/subscriptions.jsonl line 5: field 'customer' is required"),
    (
        "stripe_subscriptions",
        "stripe/subscriptions.jsonl line 7: items.data[0].quantity: expected an integer, got 'ten'",
    ),
    (
        "stripe_invoices",
        "stripe/invoices.jsonl line 5: "
        "lines.has_more is true: the record holds only the first page of lines; "
        "export it with every line (GET /v1/invoices/<id>/lines)",
    ),
    ("intercom_companies", "intercom/companies.jsonl line 6: field 'company_id' is required"),
    (
        "intercom_contacts",
        "intercom/contacts.jsonl line 6: created_at: not a unix timestamp (got '2024-01-05')",
    ),
    (
        "intercom_conversations",
        "intercom/conversations.jsonl line 4: source.author.type: unknown value 'robot' "
        "(expected 'user', 'contact', 'lead', 'admin', 'bot' or 'team')",
    ),
    (
        "intercom_tickets",
        "intercom/tickets.jsonl line 5: "
        "priority: unknown value 'critical' (expected low, normal, high or urgent)",
    ),
    ("intercom_survey_responses", "intercom/surveys.jsonl line 4: score: nps scores are 0 to 10, got 11"),
    (
        "intercom_events",
        "intercom/events.csv: occurred_at: not an ISO-8601 timestamp or unix seconds (got 'yesterday')",
    ),
    ("intercom_events", "intercom/events.csv: field 'event_name' is required"),
    ("intercom_events", "intercom/events.csv: metadata: not valid JSON"),
    ("intercom_events", "intercom/events.csv line 9: Expected Number of Columns: 6 Found: 7"),
]

# Rows landed per table (records read = these + the quarantined above).
EXPECTED_ROWS = {
    "stripe_customers": 5,
    "stripe_subscriptions": 5,
    "stripe_subscription_items": 6,
    "stripe_invoices": 4,
    "stripe_invoice_line_items": 6,
    "intercom_companies": 5,
    "intercom_contacts": 5,
    "intercom_events": 4,
    "intercom_conversations": 3,
    "intercom_tickets": 4,
    "intercom_survey_responses": 3,
}
