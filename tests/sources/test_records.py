"""The record parsers: one API object in, canonical rows (or a readable reason) out."""

from __future__ import annotations

from datetime import datetime, timedelta

import pyarrow as pa
import pytest

from dagster_project.sources.extract import Batch
from dagster_project.sources.raw_tables import RAW_TABLES
from dagster_project.sources.records import BatchBuilder, Directory, FanOut, RecordError, kinds, rows_to_table
from dagster_project.sources.records.events import parse_event, stable_event_id
from dagster_project.sources.records.intercom import (
    parse_company,
    parse_contact,
    parse_conversation,
    parse_ticket,
)
from dagster_project.sources.records.stripe import parse_customer, parse_invoice, parse_subscription
from dagster_project.sources.records.surveys import parse_survey_response

T0 = 1_700_000_000  # 2023-11-14 22:13:20 UTC
T0_UTC = datetime(2023, 11, 14, 22, 13, 20)


def utc(seconds: int) -> datetime:
    """Naive UTC, as the raw tables hold it (independent of the machine's time zone)."""
    return datetime(1970, 1, 1) + timedelta(seconds=seconds)


def reason(parse, obj, directory=None) -> str:
    with pytest.raises(RecordError) as caught:
        parse(obj, directory or Directory())
    return caught.value.reason


def price(**overrides):
    return {
        "id": "price_1",
        "product": "prod_1",
        "nickname": "growth",
        "unit_amount": 5000,
        "currency": "USD",
        "recurring": {"interval": "month", "interval_count": 1},
        **overrides,
    }


def subscription(**overrides):
    return {
        "id": "sub_1",
        "customer": "cus_1",
        "status": "active",
        "created": T0,
        "items": {"data": [{"id": "si_1", "quantity": 3, "price": price()}], "has_more": False},
        **overrides,
    }


def invoice(**overrides):
    line = {
        "id": "il_1",
        "amount": 15000,
        "currency": "usd",
        "period": {"start": T0, "end": T0 + 86400 * 30},
        "proration": False,
        "price": price(),
        "quantity": 3,
        "subscription_item": "si_1",
        "description": "3 × growth",
    }
    return {
        "id": "in_1",
        "customer": "cus_1",
        "subscription": "sub_1",
        "status": "paid",
        "currency": "usd",
        "amount_due": 15000,
        "amount_paid": 15000,
        "created": T0,
        "status_transitions": {"paid_at": T0 + 60},
        "lines": {"data": [line], "has_more": False},
        **overrides,
    }


# Arrow tables


@pytest.mark.parametrize("table", sorted(RAW_TABLES))
def test_rows_to_table_has_exactly_the_contract_schema(table):
    raw = RAW_TABLES[table]
    assert rows_to_table(raw, []).schema == raw.arrow_schema
    one = rows_to_table(raw, [{raw.primary_key: "x"}])
    assert one.schema == raw.arrow_schema
    assert one.num_rows == 1


def test_rows_to_table_refuses_columns_outside_the_contract():
    with pytest.raises(ValueError, match="not in the contract"):
        rows_to_table(RAW_TABLES["stripe_customers"], [{"customer_id": "c", "colour": "red"}])


# Stripe


def test_customer_account_id_from_metadata_else_its_id():
    row = parse_customer(
        {"id": "cus_1", "created": T0, "currency": "EUR", "metadata": {"account_id": "acct_9", "tier": "a"}},
        Directory(),
    )["stripe_customers"][0]
    assert row["account_id"] == "acct_9"
    assert row["created_at"] == T0_UTC and row["created_at"].tzinfo is None
    assert row["currency"] == "eur"
    assert row["metadata"] == '{"account_id":"acct_9","tier":"a"}'
    assert (
        parse_customer({"id": "cus_2", "created": T0}, Directory())["stripe_customers"][0]["account_id"]
        == "cus_2"
    )


@pytest.mark.parametrize(
    ("created", "expected"),
    [
        ("yesterday", "created: not a unix timestamp (got 'yesterday')"),
        (True, "created: not a unix timestamp (got True)"),
        (
            T0 * 1000,
            "created: unix timestamp 1700000000000 is out of range (seconds expected, not milliseconds)",
        ),
        (None, "field 'created' is required, got null"),
    ],
)
def test_bad_timestamps_are_named(created, expected):
    assert reason(parse_customer, {"id": "cus_1", "created": created}) == expected


def test_missing_field_and_non_object_reasons():
    assert reason(parse_customer, {"created": T0}) == "field 'id' is required"
    assert reason(parse_customer, {"id": "  ", "created": T0}) == "id: must not be empty"
    assert reason(parse_customer, ["cus_1"]) == "expected a JSON object, got an array"


def test_subscription_gives_its_row_and_item_rows():
    directory = Directory(customer_accounts={"cus_1": "acct_1"})
    rows = parse_subscription(subscription(), directory)
    (sub,) = rows["stripe_subscriptions"]
    (item,) = rows["stripe_subscription_items"]
    assert sub["account_id"] == "acct_1" and sub["status"] == "active"
    assert item == {
        "subscription_item_id": "si_1",
        "subscription_id": "sub_1",
        "price_id": "price_1",
        "product_id": "prod_1",
        "plan_name": "growth",
        "unit_amount": 5000,
        "amount_per_interval": 15000,
        "usage_type": "licensed",
        "currency": "usd",
        "interval": "month",
        "interval_count": 1,
        "quantity": 3,
        "created_at": None,
    }


def test_subscription_account_from_an_expanded_customer_and_period_from_items():
    expanded = {"id": "cus_1", "object": "customer", "metadata": {"account_id": "acct_x"}}
    item = {
        "id": "si_1",
        "price": price(nickname=None, product={"id": "prod_1", "name": "Growth plan"}),
        "current_period_start": T0,
        "current_period_end": T0 + 100,
    }
    rows = parse_subscription(subscription(customer=expanded, items={"data": [item]}), Directory())
    sub, item_row = rows["stripe_subscriptions"][0], rows["stripe_subscription_items"][0]
    assert sub["account_id"] == "acct_x"
    assert sub["current_period_start"] == T0_UTC
    assert item_row["plan_name"] == "Growth plan" and item_row["quantity"] == 1


def test_subscription_reasons_name_the_nested_field():
    assert reason(parse_subscription, subscription(customer=None)) == "field 'customer' is required, got null"
    bad_item = {"data": [{"id": "si_1", "quantity": "ten", "price": price(recurring=None)}]}
    assert reason(parse_subscription, subscription(items=bad_item)) == (
        "field 'items.data[0].price.recurring' is required, got null; "
        "items.data[0].quantity: expected an integer, got 'ten'"
    )
    assert reason(parse_subscription, subscription(status="gone")).startswith("status: unknown value 'gone'")
    partial = {"data": [{"id": "si_1", "price": price()}], "has_more": True}
    assert reason(parse_subscription, subscription(items=partial)).startswith("items.has_more is true")


def test_invoice_lines_keep_prorations_and_inherit_the_subscription():
    credit = {
        "id": "il_2",
        "amount": -2500,
        "currency": "usd",
        "period": {"start": T0, "end": T0 + 10},
        "proration": True,
        "price": None,
    }
    obj = invoice(status="open", amount_paid=0, attempt_count=2, status_transitions={"paid_at": None})
    obj["lines"]["data"].append(credit)
    rows = parse_invoice(obj, Directory())
    (inv,) = rows["stripe_invoices"]
    assert (inv["status"], inv["paid_at"], inv["attempt_count"], inv["account_id"]) == ("open", None, 2, None)
    lines = {r["line_item_id"]: r for r in rows["stripe_invoice_line_items"]}
    assert lines["il_1"]["proration"] is False and lines["il_1"]["interval"] == "month"
    assert lines["il_2"]["proration"] is True and lines["il_2"]["amount"] == -2500
    assert lines["il_2"]["subscription_id"] == "sub_1" and lines["il_2"]["price_id"] is None


def test_invoice_with_a_partial_line_list_is_refused():
    obj = invoice()
    obj["lines"]["has_more"] = True
    assert reason(parse_invoice, obj).startswith("lines.has_more is true")


# Intercom


def test_company_owner_plan_and_numeric_ids():
    row = parse_company(
        {"company_id": 42, "id": "6a", "plan": "scale", "size": 12, "owner_id": 7001, "created_at": T0},
        Directory(),
    )["intercom_companies"][0]
    assert (row["company_id"], row["account_id"], row["plan_name"], row["account_owner"]) == (
        "42",
        "42",
        "scale",
        "7001",
    )
    row = parse_company(
        {
            "company_id": "acme",
            "plan": {"type": "plan", "name": "growth"},
            "owner_id": "7001",
            "custom_attributes": {"account_owner": "dana@ourco.test"},
            "created_at": T0,
        },
        Directory(),
    )["intercom_companies"][0]
    assert (row["plan_name"], row["account_owner"]) == ("growth", "dana@ourco.test")


def test_contact_company_by_company_id_or_by_intercom_id():
    directory = Directory(company_ids={"6a": "acme"})

    def account(companies):
        obj = {"id": "ct_1", "created_at": T0, "companies": {"type": "list", "data": companies}}
        return parse_contact(obj, directory)["intercom_contacts"][0]["account_id"]

    assert account([{"company_id": "globex"}]) == "globex"
    assert account([{"type": "company", "id": "6a", "url": "/companies/6a"}]) == "acme"
    assert account([{"type": "company", "id": "unknown"}]) is None
    assert account([]) is None


def conversation(author_type, **statistics):
    return {
        "id": "conv_1",
        "created_at": T0,
        "source": {"author": {"type": author_type, "id": "ct_1"}},
        "contacts": {"type": "contact.list", "contacts": [{"type": "contact", "id": "ct_1"}]},
        "statistics": statistics,
    }


@pytest.mark.parametrize(
    ("author", "statistics", "initiated", "answered", "response"),
    [
        (
            "user",
            {"first_admin_reply_at": T0 + 60, "first_contact_reply_at": T0},
            "customer",
            "team",
            T0 + 60,
        ),
        ("lead", {"first_contact_reply_at": T0}, "customer", None, None),
        ("contact", {}, "customer", None, None),
        ("admin", {"first_contact_reply_at": T0 + 90}, "team", "customer", T0 + 90),
        ("bot", {"first_admin_reply_at": T0 + 5}, "team", None, None),
    ],
)
def test_conversation_initiator_and_first_answer(author, statistics, initiated, answered, response):
    directory = Directory(contact_accounts={"ct_1": "acme"})
    row = parse_conversation(conversation(author, **statistics), directory)["intercom_conversations"][0]
    assert (row["initiated_by"], row["answered_by"]) == (initiated, answered)
    assert row["first_response_at"] == (None if response is None else utc(response))
    assert (row["contact_id"], row["account_id"]) == ("ct_1", "acme")


def test_conversation_reasons():
    assert reason(parse_conversation, conversation("robot")).startswith(
        "source.author.type: unknown value 'robot'"
    )
    rated = {**conversation("user"), "conversation_rating": {"rating": 9}}
    assert (
        reason(parse_conversation, rated)
        == "conversation_rating.rating: expected a rating from 1 to 5, got 9"
    )


def ticket(**overrides):
    return {"id": "tk_1", "ticket_state": "submitted", "created_at": T0, "updated_at": T0 + 50, **overrides}


@pytest.mark.parametrize(
    ("attributes", "top_level", "expected"),
    [
        ({"Priority": "Urgent"}, None, "urgent"),
        ({"priority": "medium"}, "low", "normal"),
        ({}, "low", "low"),
        ({}, "priority", "high"),
        ({}, "not_priority", "normal"),
        ({}, None, "normal"),
    ],
)
def test_ticket_priority(attributes, top_level, expected):
    row = parse_ticket(ticket(ticket_attributes=attributes, priority=top_level), Directory())[
        "intercom_tickets"
    ][0]
    assert row["priority"] == expected


def test_ticket_unknown_priority_and_state_are_refused():
    assert reason(parse_ticket, ticket(ticket_attributes={"priority": "critical"})) == (
        "priority: unknown value 'critical' (expected low, normal, high or urgent)"
    )
    assert reason(parse_ticket, ticket(ticket_state="lost")).startswith("ticket_state: unknown value 'lost'")


def test_ticket_state_object_and_closed_at():
    as_object = {"type": "ticket_state", "category": "resolved", "internal_label": "Done"}
    row = parse_ticket(ticket(ticket_state=as_object), Directory())["intercom_tickets"][0]
    assert row["state"] == "resolved" and row["closed_at"] == utc(T0 + 50)
    row = parse_ticket(ticket(ticket_state="resolved", statistics={"last_close_at": T0 + 5}), Directory())
    assert row["intercom_tickets"][0]["closed_at"] == utc(T0 + 5)
    row = parse_ticket(ticket(ticket_state="in_progress", statistics={"last_close_at": T0 + 5}), Directory())
    assert row["intercom_tickets"][0]["closed_at"] is None


def test_event_ids_are_stable_hashes_never_the_user_id():
    event = {
        "event_name": "created-report",
        "created_at": T0,
        "id": "user-uuid",
        "metadata": {"b": 1, "a": 2},
    }
    first = parse_event(event, Directory())["intercom_events"][0]
    again = parse_event(dict(reversed(list(event.items()))), Directory())["intercom_events"][0]
    other = parse_event({**event, "created_at": T0 + 1}, Directory())["intercom_events"][0]
    assert first["event_id"] == again["event_id"] != other["event_id"]
    assert first["event_id"].startswith("evh_") and first["event_id"] != "user-uuid"
    assert first["event_id"] == stable_event_id("created-report", T0_UTC, "user-uuid", '{"a":2,"b":1}')
    assert parse_event({**event, "event_id": "ev_9"}, Directory())["intercom_events"][0]["event_id"] == "ev_9"


def test_event_contact_from_intercom_id_external_id_or_email():
    directory = Directory()
    directory.add_contact("ct_1", "acme", "u_1", "Ann@Acme.test")
    base = {"event_name": "logged-in", "created_at": T0}
    for who in ({"intercom_user_id": "ct_1"}, {"user_id": "u_1"}, {"id": "u_1"}, {"email": "ann@acme.test"}):
        row = parse_event({**base, **who}, directory)["intercom_events"][0]
        assert (row["contact_id"], row["account_id"]) == ("ct_1", "acme"), who
    row = parse_event({**base, "user_id": "nobody"}, directory)["intercom_events"][0]
    assert (row["contact_id"], row["account_id"]) == (None, None)


def test_survey_responses():
    directory = Directory(contact_accounts={"ct_1": "acme"})
    obj = {"id": "r1", "type": "csat", "score": 5, "contact_id": "ct_1", "created_at": T0}
    row = parse_survey_response(obj, directory)["intercom_survey_responses"][0]
    assert (row["survey_type"], row["score"], row["account_id"], row["responded_at"]) == (
        "csat",
        5,
        "acme",
        T0_UTC,
    )
    assert reason(parse_survey_response, {**obj, "score": 0}) == "score: csat scores are 1 to 5, got 0"
    assert reason(parse_survey_response, {**obj, "type": "ces"}).startswith("type: unknown value 'ces'")


# Batches


def test_batch_builder_counts_read_rows_and_quarantine():
    builder = BatchBuilder(kinds.SUBSCRIPTION, Directory())
    builder.add(subscription())
    builder.add(subscription(id="sub_2", created="yesterday"), text="original text", where="line 2: ")
    builder.quarantine("{oops", "invalid JSON: Expecting value (column 1)", "line 3: ")
    batches = builder.flush()
    subs, items = batches["stripe_subscriptions"], batches["stripe_subscription_items"]
    assert (subs.rows.num_rows, len(subs.quarantined), subs.read) == (1, 2, 3)
    assert (items.rows.num_rows, items.quarantined, items.read) == (1, [], 1)
    assert [(q.source_table, q.record, q.reason) for q in subs.quarantined] == [
        ("stripe_subscriptions", "original text", "line 2: created: not a unix timestamp (got 'yesterday')"),
        ("stripe_subscriptions", "{oops", "line 3: invalid JSON: Expecting value (column 1)"),
    ]
    assert builder.flush() == {}


def test_batch_builder_learns_lookups_and_numbers_each_sighting():
    directory = Directory()
    builder = BatchBuilder(kinds.SUBSCRIPTION, directory)
    two_items = {"data": [{"id": "si_1", "price": price()}, {"id": "si_2", "price": price()}]}
    builder.add(subscription(items=two_items))
    builder.add(subscription(status="canceled"))  # the same subscription read again: both kept for landing
    batches = builder.flush()
    subs, items = batches["stripe_subscriptions"], batches["stripe_subscription_items"]
    assert (subs.rows.num_rows, subs.read) == (2, 2)
    assert subs.read_order.to_pylist() == [1, 2]
    # A record's rows share its sighting number, so the landing can keep the newer copy whole.
    assert items.read_order.to_pylist() == [1, 1, 2]
    customers = BatchBuilder(kinds.CUSTOMER, directory, tables=())
    customers.add({"id": "cus_1", "created": T0, "metadata": {"account_id": "acct_1"}})
    assert directory.account_of_customer("cus_1") == "acct_1"


def test_a_preview_invoice_is_skipped_and_counted_not_quarantined():
    builder = BatchBuilder(kinds.INVOICE, Directory())
    preview = invoice()
    del preview["id"]
    preview["object"] = "invoice"
    assert not builder.add(preview)
    assert not builder.add(invoice(id="upcoming_in_1"))
    assert builder.add(invoice())
    batch = builder.flush()["stripe_invoices"]
    assert (batch.rows.num_rows, len(batch.quarantined), batch.read) == (1, 0, 3)
    assert batch.skipped == {
        "preview invoice (invoice.upcoming): not an invoice until Stripe finalises it": 2
    }


def test_bad_parent_travels_with_a_child_requested_alone():
    builder = BatchBuilder(kinds.SUBSCRIPTION, Directory(), tables=["stripe_subscription_items"])
    builder.add(subscription(customer=None))
    (batch,) = builder.flush().values()
    assert batch.quarantined[0].source_table == "stripe_subscriptions"


def test_fan_out_serves_tables_in_any_order_and_shares_failures():
    empty = pa.table({"x": pa.array([], pa.int64())})
    reads = []

    def source():
        for i in range(3):
            reads.append(i)
            yield {"a": Batch(empty, records_read=i), "b": Batch(empty, records_read=10 + i)}

    fan = FanOut(source(), ["a", "b"])
    assert [b.records_read for b in fan.batches("b")] == [10, 11, 12]
    assert [b.records_read for b in fan.batches("a")] == [0, 1, 2]
    assert reads == [0, 1, 2] and fan.done

    def failing():
        yield {"a": Batch(empty), "b": Batch(empty)}
        raise RuntimeError("endpoint down")

    fan = FanOut(failing(), ["a", "b"])
    with pytest.raises(RuntimeError):
        list(fan.batches("a"))
    with pytest.raises(RuntimeError):
        list(fan.batches("b"))
