"""Contract tests: the vendors' own published example objects, in every covered API version, parse
without losing a field the project reads.

The objects are copied unchanged from Stripe's stripe/openapi (``openapi/fixtures3.json``) and
Intercom's intercom/Intercom-OpenAPI (``descriptions/<version>/api.intercom.io.yaml``); see
``tests/fixtures/vendor/*/SOURCE.md``. Expected values are read off those files by hand. Where the
published object lacks something (a line without its price, a placeholder id), the test states what the
project does with it.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from dagster_project.sources.api.versions import INTERCOM_VERSIONS_COVERED, STRIPE_VERSIONS_COVERED
from dagster_project.sources.records import BatchBuilder, Directory, kinds
from dagster_project.sources.records.events import parse_event
from dagster_project.sources.records.intercom import (
    parse_company,
    parse_contact,
    parse_conversation,
    parse_ticket,
)
from dagster_project.sources.records.stripe import parse_customer, parse_invoice, parse_subscription

VENDOR = Path(__file__).parents[1] / "fixtures" / "vendor"
# 1234567890 seconds after 1970-01-01 UTC, Stripe's placeholder timestamp.
T1234567890 = datetime(2009, 2, 13, 23, 31, 30)
BASIL = "2025-03-31"


def stripe(version: str, name: str) -> dict:
    return json.loads((VENDOR / "stripe" / version / f"{name}.json").read_text())


def intercom(version: str, name: str) -> dict:
    return json.loads((VENDOR / "intercom" / version / f"{name}.json").read_text())


def test_every_covered_version_has_its_fixtures():
    for version in STRIPE_VERSIONS_COVERED:
        names = {p.stem for p in (VENDOR / "stripe" / version).glob("*.json")}
        assert names >= {
            "customer",
            "deleted_customer",
            "subscription",
            "subscription_item",
            "price",
            "invoice",
            "line_item",
            "event",
        }, version
    for version in INTERCOM_VERSIONS_COVERED:
        names = {p.stem for p in (VENDOR / "intercom" / version).glob("*.json")}
        assert names >= {
            "company",
            "companies_list",
            "contact",
            "conversations_list",
            "conversations_search",
            "ticket",
            "tickets_search",
        }, version


# Stripe


@pytest.mark.parametrize("version", STRIPE_VERSIONS_COVERED)
def test_stripe_customer(version):
    (row,) = parse_customer(stripe(version, "customer"), Directory())["stripe_customers"]
    assert row == {
        "customer_id": "cus_QXg1o8vcGmoR32",
        "account_id": "cus_QXg1o8vcGmoR32",  # metadata is {}: the customer is its own account
        "name": None,
        "email": None,
        "currency": "usd",
        "delinquent": False,
        "deleted": False,
        "created_at": T1234567890,
        "metadata": "{}",
    }


@pytest.mark.parametrize("version", STRIPE_VERSIONS_COVERED)
def test_stripe_deleted_customer_is_recognised_not_quarantined(version):
    (row,) = parse_customer(stripe(version, "deleted_customer"), Directory())["stripe_customers"]
    assert (row["customer_id"], row["account_id"], row["deleted"], row["created_at"]) == (
        "cus_QXg1o8vcGmoR32",
        "cus_QXg1o8vcGmoR32",
        True,
        None,
    )


@pytest.mark.parametrize("version", STRIPE_VERSIONS_COVERED)
def test_stripe_subscription_with_its_items(version):
    obj = stripe(version, "subscription")
    rows = parse_subscription(obj, Directory(customer_accounts={"cus_QXg1o8vcGmoR32": "acct_1"}))
    (sub,) = rows["stripe_subscriptions"]
    (item,) = rows["stripe_subscription_items"]
    assert (sub["subscription_id"], sub["customer_id"], sub["account_id"], sub["status"]) == (
        "sub_1Pgc6rB7WZ01zgkWNy0Cn5nw",
        "cus_QXg1o8vcGmoR32",
        "acct_1",
        "active",
    )
    assert sub["created_at"] == sub["started_at"] == sub["canceled_at"] == sub["ended_at"] == T1234567890
    if version < BASIL:
        # The billing period is the subscription's own.
        assert sub["current_period_start"] == sub["current_period_end"] == T1234567890
    else:
        # From basil it lives on the items only: 1896570518 and 976287773 in the published item.
        assert sub["current_period_start"] == datetime(2030, 2, 6, 1, 8, 38)
        assert sub["current_period_end"] == datetime(2000, 12, 8, 15, 2, 53)
    assert item["subscription_item_id"] == "si_QXhVnC2h0Jczwc"
    assert (item["price_id"], item["product_id"], item["plan_name"]) == (
        "price_1PgafmB7WZ01zgkW6dKueIc5",
        "prod_QXg1hqf4jFNsqG",
        None,  # nickname null and the product not expanded: staging names the plan from elsewhere
    )
    assert (item["unit_amount"], item["currency"], item["interval"], item["interval_count"]) == (
        2000,
        "usd",
        "month",
        1,
    )
    assert (item["quantity"], item["usage_type"], item["created_at"]) == (
        1,
        "licensed",
        datetime(2024, 7, 26, 0, 34, 14),
    )
    price = obj["items"]["data"][0]["price"]
    if price.get("transform_quantity"):
        # The published price divides the quantity by 1,592,560,163 rounding down: 1 seat bills 0 units.
        assert item["amount_per_interval"] == 0
    else:
        assert item["amount_per_interval"] == 2000


@pytest.mark.parametrize("version", STRIPE_VERSIONS_COVERED)
def test_stripe_subscription_item_listed_apart_joins_its_subscription(version):
    # GET /v1/subscription_items?subscription=... lists these; the api source merges them into items.data.
    obj = stripe(version, "subscription")
    obj["items"] = {"object": "list", "data": [stripe(version, "subscription_item")], "has_more": False}
    (item,) = parse_subscription(obj, Directory())["stripe_subscription_items"]
    assert (item["subscription_item_id"], item["price_id"], item["unit_amount"], item["quantity"]) == (
        "si_QXhVBoJ7NQdNXh",
        "price_1PgafmB7WZ01zgkW6dKueIc5",
        2000,
        1,
    )


@pytest.mark.parametrize("version", STRIPE_VERSIONS_COVERED)
def test_stripe_invoice_with_its_line(version):
    rows = parse_invoice(stripe(version, "invoice"), Directory())
    (inv,) = rows["stripe_invoices"]
    assert (inv["invoice_id"], inv["customer_id"], inv["status"], inv["currency"]) == (
        "in_1Pgc6tB7WZ01zgkWu9fdqL6I",
        "cus_QXg1o8vcGmoR32",
        "draft",
        "usd",
    )
    assert (inv["amount_due"], inv["amount_paid"], inv["amount_remaining"], inv["attempt_count"]) == (
        1000,
        0,
        1000,
        0,
    )
    assert inv["created_at"] == inv["due_at"] == inv["period_start"] == inv["period_end"] == T1234567890
    assert inv["paid_at"] is None
    # Before basil the subscription is top-level (null here); from 2025-12-15 the example's parent holds the
    # placeholder "subscription" in subscription_details (basil's example has no parent at all).
    expected_subscription = "subscription" if stripe(version, "invoice").get("parent") else None
    assert inv["subscription_id"] == expected_subscription
    (line,) = rows["stripe_invoice_line_items"]
    assert (line["line_item_id"], line["invoice_id"], line["amount"], line["currency"], line["quantity"]) == (
        "il_1Pgc6sB7WZ01zgkWFnxLrLCq",
        "in_1Pgc6tB7WZ01zgkWu9fdqL6I",
        1000,
        "usd",
        1,
    )
    assert line["period_start"] == line["period_end"] == datetime(2024, 7, 26, 0, 34, 14)
    assert (line["discount_amount"], line["inclusive_tax_amount"]) == (0, 0)
    # The example line is an invoice item, never part of a subscription: it must not inherit one.
    assert line["subscription_id"] is None and line["subscription_item_id"] is None
    if version < BASIL:
        # A one-time price: no interval, so it never counts towards MRR.
        assert (line["price_id"], line["unit_amount"], line["interval"], line["proration"]) == (
            "price_1PgafmB7WZ01zgkW02Hf9z6c",
            1000,
            None,
            False,
        )
    else:
        # The published basil-shaped line has pricing without price_details: no price to read.
        assert (line["price_id"], line["unit_amount"], line["interval"]) == (None, None, None)
        # The parent names invoice_item_details, whose proration is true (basil's example has no parent).
        assert line["proration"] is bool(stripe(version, "line_item").get("parent"))


@pytest.mark.parametrize("version", STRIPE_VERSIONS_COVERED)
def test_stripe_line_listed_apart_joins_its_invoice(version):
    # GET /v1/invoices/<id>/lines lists these; the api source merges them into lines.data.
    obj = stripe(version, "invoice")
    obj["lines"] = {"object": "list", "data": [stripe(version, "line_item")], "has_more": False}
    (line,) = parse_invoice(obj, Directory())["stripe_invoice_line_items"]
    assert (line["line_item_id"], line["amount"]) == ("il_tmp_1Pgc6sB7WZ01zgkWrG16hkdl", 1000)


@pytest.mark.parametrize("version", STRIPE_VERSIONS_COVERED)
def test_stripe_price_from_the_catalogue_completes_a_line_that_names_it_by_id(version):
    directory = Directory()
    directory.add_price(stripe(version, "price"))
    obj = stripe(version, "invoice")
    line = stripe(version, "line_item")
    line.pop("price", None)
    line["pricing"] = {
        "type": "price_details",
        "price_details": {"price": "price_1PgafmB7WZ01zgkW6dKueIc5", "product": "prod_QXg1hqf4jFNsqG"},
        "unit_amount_decimal": "2000",
    }
    obj["lines"] = {"data": [line], "has_more": False}
    (row,) = parse_invoice(obj, directory)["stripe_invoice_line_items"]
    assert (row["price_id"], row["unit_amount"], row["interval"], row["interval_count"]) == (
        "price_1PgafmB7WZ01zgkW6dKueIc5",
        2000,
        "month",
        1,
    )


@pytest.mark.parametrize("version", STRIPE_VERSIONS_COVERED)
def test_stripe_event_of_another_object_is_not_a_record(version):
    event = stripe(version, "event")
    assert event["type"] == "plan.created" and event["data"]["object"]["object"] == "plan"
    # The api source keeps an event only when its object is the list's (customer, subscription,
    # invoice): tests/sources/test_api_source.py serves this event and checks nothing lands from it.


# Intercom


@pytest.mark.parametrize("version", INTERCOM_VERSIONS_COVERED)
def test_intercom_company(version):
    for obj in (intercom(version, "company"), intercom(version, "companies_list")["data"][0]):
        (row,) = parse_company(obj, Directory())["intercom_companies"]
        assert row["company_id"] == row["account_id"] == obj["company_id"]
        assert row["intercom_id"] == obj["id"] and row["name"] == obj["name"]
        # plan {} and custom_attributes {}: no plan name and no owner, not an error.
        assert (row["plan_name"], row["account_owner"], row["industry"], row["employee_count"]) == (
            None,
            None,
            None,
            None,
        )
    (row,) = parse_company(intercom(version, "company"), Directory())["intercom_companies"]
    created = {"2.11": datetime(2024, 6, 27, 12, 52, 16)}.get(version, datetime(2024, 12, 18, 15, 55, 43))
    assert row["created_at"] == row["updated_at"] == created


@pytest.mark.parametrize("version", INTERCOM_VERSIONS_COVERED)
def test_intercom_contact(version):
    obj = intercom(version, "contact")
    (row,) = parse_contact(obj, Directory())["intercom_contacts"]
    assert (row["contact_id"], row["external_id"], row["email"], row["name"], row["role"]) == (
        obj["id"],
        "70",
        "joe@bloggs.com",
        "Joe Bloggs",
        "user",
    )
    assert row["account_id"] is None  # companies.data is empty in the published contact
    assert row["last_seen_at"] is None and row["created_at"] == row["updated_at"]
    assert intercom(version, "contacts_list")["data"] == []


@pytest.mark.parametrize("version", INTERCOM_VERSIONS_COVERED)
@pytest.mark.parametrize("listing", ["conversations_list", "conversations_search"])
def test_intercom_conversation(version, listing):
    (obj,) = intercom(version, listing)["conversations"]
    directory = Directory()
    contact = obj["contacts"]["contacts"][0]["id"]
    directory.add_contact(contact, "acct_9", "70", None)
    (row,) = parse_conversation(obj, directory)["intercom_conversations"]
    assert (row["conversation_id"], row["contact_id"], row["account_id"]) == (obj["id"], contact, "acct_9")
    # An admin wrote first; statistics is null, so nobody has answered yet as far as the example says.
    assert (row["initiated_by"], row["answered_by"], row["first_response_at"]) == ("team", None, None)
    assert (row["state"], row["admin_assignee_id"], row["rating"]) == ("closed", "991267715", None)
    assert row["created_at"] == row["updated_at"]


@pytest.mark.parametrize("version", INTERCOM_VERSIONS_COVERED)
def test_intercom_ticket(version):
    for obj in (intercom(version, "ticket"), intercom(version, "tickets_search")["tickets"][0]):
        directory = Directory()
        contact = obj["contacts"]["contacts"][0]["id"]
        directory.add_contact(contact, "acct_7", None, None)
        (row,) = parse_ticket(obj, directory)["intercom_tickets"]
        assert row["ticket_id"] == obj["id"]  # the API id, not the inbox number ticket_id
        assert (row["account_id"], row["contact_id"], row["category"], row["title"]) == (
            "acct_7",
            contact,
            "Back-office",
            "attribute_value",
        )
        # ticket_state is text in 2.11 and an object with a category from 2.14; no priority means normal.
        assert (row["state"], row["priority"], row["closed_at"]) == ("submitted", "normal", None)
    (row,) = parse_ticket(intercom(version, "ticket"), Directory())["intercom_tickets"]
    if version == "2.11":
        assert row["created_at"] == row["updated_at"] == datetime(2024, 6, 27, 12, 57, 41)
    else:
        assert (row["created_at"], row["updated_at"]) == (
            datetime(2024, 12, 18, 16, 6, 14),
            datetime(2024, 12, 18, 16, 6, 16),
        )


@pytest.mark.parametrize("version", INTERCOM_VERSIONS_COVERED)
def test_intercom_data_event_as_submitted(version):
    obj = intercom(version, "event_submit.from_schema_property_examples")
    directory = Directory()
    directory.add_contact("ct_1", "acct_3", "314159", None)
    (row,) = parse_event(obj, directory)["intercom_events"]
    assert (row["event_name"], row["occurred_at"], row["contact_id"], row["account_id"]) == (
        "invited-friend",
        datetime(2022, 12, 14, 14, 41, 34),
        "ct_1",  # user_id 314159 is the contact's external_id
        "acct_3",
    )
    assert row["metadata"] == '{"invite_code":"ADDAFRIEND"}'
    # The published GET /events answer is a summary with no events: nothing to land, nothing lost.
    listed = intercom(version, "events_list")
    assert listed["events"] == []


def test_a_files_drop_may_mix_stripe_versions_object_by_object():
    builder = BatchBuilder(kinds.INVOICE, Directory())
    for version in STRIPE_VERSIONS_COVERED:
        obj = stripe(version, "invoice")
        obj["id"] = f"in_{version}"
        obj["lines"]["data"][0]["id"] = f"il_{version}"
        assert builder.add(obj)
    batches = builder.flush()
    assert batches["stripe_invoices"].rows.num_rows == len(STRIPE_VERSIONS_COVERED)
    assert batches["stripe_invoice_line_items"].rows.num_rows == len(STRIPE_VERSIONS_COVERED)
    assert not batches["stripe_invoices"].quarantined
