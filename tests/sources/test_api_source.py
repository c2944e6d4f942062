"""The api source over real HTTP against the fake Stripe and Intercom APIs in fake_apis.py."""

from __future__ import annotations

import copy
from datetime import datetime

import duckdb
import pyarrow as pa
import pytest
from fake_apis import FakeApis

from dagster_project.defs.ingestion.landing import land
from dagster_project.sources.api import ApiSource, RetryPolicy
from dagster_project.sources.api.versions import INTERCOM_API_VERSION, STRIPE_API_VERSION
from dagster_project.sources.extract import SourceError
from dagster_project.sources.raw_tables import RAW_TABLES
from dagster_project.warehouse.engines.duckdb_engine import DuckDBSession

BASE = 1_717_200_000  # 2024-06-01 00:00 UTC
NOW = BASE + 10 * 86_400
KEY, TOKEN = "sk_test_fake", "tok_fake"
LOADED_AT = datetime(2024, 6, 11)


def price(pid="price_growth", amount=5000):
    return {
        "id": pid,
        "object": "price",
        "product": "prod_app",
        "nickname": "growth",
        "unit_amount": amount,
        "currency": "usd",
        "recurring": {"interval": "month", "interval_count": 1, "usage_type": "licensed"},
        "billing_scheme": "per_unit",
    }


def customer(i, created):
    metadata = {} if i == 3 else {"account_id": f"acct_{i}"}
    return {
        "id": f"cus_{i}",
        "object": "customer",
        "created": created,
        "email": f"b@{i}.test",
        "metadata": metadata,
    }


def subscription(i, created, n_items=1, status="active", customer_id=None):
    # As Stripe answers from API version 2025-03-31: the billing period on each item.
    items = [
        {
            "id": f"si_{i}_{k}",
            "object": "subscription_item",
            "quantity": k + 1,
            "price": price(),
            "current_period_start": created,
            "current_period_end": created + 30 * 86_400,
        }
        for k in range(n_items)
    ]
    return {
        "id": f"sub_{i}",
        "object": "subscription",
        "customer": customer_id or f"cus_{i}",
        "status": status,
        "created": created,
        "items": {"object": "list", "data": items, "has_more": False},
    }


def line(line_id, subscription_id, start, proration=False, amount=1000):
    # A line as Stripe answers from 2025-03-31: parent.subscription_item_details, the price by id.
    return {
        "id": line_id,
        "object": "line_item",
        "amount": amount,
        "currency": "usd",
        "period": {"start": start, "end": start + 86_400 * 30},
        "quantity": 1,
        "parent": {
            "type": "subscription_item_details",
            "subscription_item_details": {
                "subscription": subscription_id,
                "subscription_item": f"si_{subscription_id[4:]}_0",
                "proration": proration,
                "invoice_item": None,
            },
        },
        "pricing": {
            "type": "price_details",
            "price_details": {"price": "price_growth", "product": "prod_app"},
            "unit_amount_decimal": "1000",
        },
        "discount_amounts": [],
        "taxes": [],
    }


def invoice(i, created, n_lines=1, status="paid", subscription_id="sub_1"):
    lines = [line(f"il_{i}_{k}", subscription_id, created, proration=k > 0) for k in range(n_lines)]
    paid = status == "paid"
    return {
        "id": f"in_{i}",
        "object": "invoice",
        "customer": "cus_1",
        "parent": {"type": "subscription_details", "subscription_details": {"subscription": subscription_id}},
        "status": status,
        "currency": "usd",
        "amount_due": 1000 * n_lines,
        "amount_paid": 1000 * n_lines if paid else 0,
        "attempt_count": 1 if paid else 2,
        "created": created,
        "status_transitions": {"paid_at": created + 60 if paid else None},
        "lines": {"object": "list", "data": lines, "has_more": False},
    }


def contact_refs(contact_id):
    return {"type": "contact.list", "contacts": [{"type": "contact", "id": contact_id}]}


def conversation(i, updated, contact_id="ct_1"):
    return {
        "type": "conversation",
        "id": f"cv_{i}",
        "created_at": BASE + i,
        "updated_at": updated,
        "state": "open",
        "source": {"author": {"type": "user", "id": contact_id}},
        "contacts": contact_refs(contact_id),
        "statistics": {"first_admin_reply_at": BASE + i + 600},
    }


def ticket(i, updated, contact_id="ct_2"):
    return {
        "type": "ticket",
        "id": f"tk_{i}",
        "ticket_attributes": {"_default_title_": f"Ticket {i}", "priority": "high"},
        "ticket_state": "submitted",
        "contacts": contact_refs(contact_id),
        "created_at": BASE + i,
        "updated_at": updated,
    }


def event(name, created, contact_id=None):
    # As Intercom lists them: the user is named by whichever id was submitted.
    return {
        "type": "event",
        "event_name": name,
        "created_at": created,
        "user_id": f"u_{contact_id}",
        "metadata": {},
    }


def survey(i, created):
    return {"id": f"resp_{i}", "type": "nps", "score": 8, "contact_id": "ct_1", "created_at": created}


# What load() serves: rows per raw table.
LOADED_COUNTS = {
    "stripe_customers": 7,
    "stripe_subscriptions": 5,
    "stripe_subscription_items": 8,
    "stripe_invoices": 6,
    "stripe_invoice_line_items": 8,
    "intercom_companies": 4,
    "intercom_contacts": 5,
    "intercom_events": 6,
    "intercom_conversations": 3,
    "intercom_tickets": 3,
    "intercom_survey_responses": 3,
}


def load(apis: FakeApis) -> None:
    apis.stripe["prices"] = [price()]
    apis.stripe["customers"] = [customer(i, BASE + i * 3600) for i in range(1, 8)]
    apis.stripe["subscriptions"] = [
        subscription(1, BASE + 3660),
        subscription(2, BASE + 7260, n_items=4),  # more items than Stripe embeds
        subscription(3, BASE + 10860),
        subscription(4, BASE + 14460, status="canceled"),
        subscription(5, BASE + 18060),
    ]
    apis.stripe["invoices"] = [
        invoice(1, BASE + 7200, n_lines=3),  # more lines than Stripe embeds
        *(invoice(i, BASE + i * 7200) for i in range(2, 5)),
        invoice(5, BASE + 36000, status="open"),  # a failed payment
        invoice(6, BASE + 43200),
    ]
    apis.intercom["companies"] = [
        {"type": "company", "id": f"ic_{i}", "company_id": f"acct_{i}", "name": f"Co {i}", "created_at": BASE}
        for i in range(1, 5)
    ]
    apis.intercom["contacts"] = [
        {
            "type": "contact",
            "id": f"ct_{i}",
            "external_id": f"u_ct_{i}",
            "role": "user",
            "created_at": BASE,
            "companies": {"type": "list", "data": [{"type": "company", "id": f"ic_{i}"}] if i < 5 else []},
        }
        for i in range(1, 6)
    ]
    apis.intercom["conversations"] = [conversation(i, BASE + i * 100) for i in range(1, 4)]
    apis.intercom["tickets"] = [ticket(i, BASE + i * 100) for i in range(1, 4)]
    apis.contact_events = {
        "ct_1": [event("created-report", BASE + k * 60, "ct_1") for k in range(5)],
        "ct_2": [event("logged-in", BASE + 30, "ct_2")],
    }
    apis.intercom["surveys"] = [survey(i, BASE + i * 1000) for i in range(1, 4)]


@pytest.fixture
def apis():
    with FakeApis(KEY, TOKEN, nested_limit=2) as fake:
        load(fake)
        yield fake


@pytest.fixture
def waits():
    return []


def make_source(
    apis: FakeApis, waits: list[float], key: str = KEY, token: str = TOKEN, lookback_days: float = 0, **retry
) -> ApiSource:
    policy = RetryPolicy(
        **{
            "max_attempts": 4,
            "max_total_wait": 30.0,
            "initial_wait": 0.01,
            "max_wait": 0.05,
            "jitter": 0.01,
            "timeout": 0.3,
            "sleep": waits.append,  # record the waits instead of sleeping them
            "clock": lambda: NOW,
            **retry,
        }
    )
    return ApiSource(
        apis.stripe_base,
        key,
        apis.intercom_base,
        token,
        retry=policy,
        lookback_days=lookback_days,
        stripe_page_size=3,
        intercom_page_size=2,
        batch_size=4,
        clock=lambda: NOW,
    )


def pull(source: ApiSource, tables=None, cursors=None):
    """{table: (rows, quarantined, read, extract)}, every batch consumed (so cursors are set)."""
    result = {}
    for extract in source.extract(tables or list(RAW_TABLES), cursors or {}):
        assert extract.cursor is None  # set only once the batches are consumed
        batches = list(extract.batches)
        for batch in batches:
            assert batch.rows.schema == RAW_TABLES[extract.table].arrow_schema
        rows = pa.concat_tables([b.rows for b in batches])
        quarantined = [q for b in batches for q in b.quarantined]
        result[extract.table] = (rows, quarantined, sum(b.read for b in batches), extract)
    return result


def ids(result, table):
    return sorted(result[table][0].column(RAW_TABLES[table].primary_key).to_pylist())


def test_first_pull_pages_through_every_list(apis, waits):
    result = pull(make_source(apis, waits))
    counts = {t: r[0].num_rows for t, r in result.items()}
    assert counts == LOADED_COUNTS
    assert all(r[3].mode == "replace" and not r[1] and r[2] == r[0].num_rows for r in result.values())
    # An API pull may meet an object twice (pages shifting under writes): the landing keeps the newest.
    assert not any(r[3].ids_unique for r in result.values())
    # One pinned version per service, on every request.
    assert {r.headers["Stripe-Version"] for r in apis.logged(service="stripe")} == {STRIPE_API_VERSION}
    # The price catalogue, with the tiers Stripe embeds nowhere else, read once for both passes.
    (prices,) = apis.logged("/v1/prices")
    assert prices.lists["expand[]"] == ["data.tiers", "data.product"]
    lines = {r["line_item_id"]: r for r in result["stripe_invoice_line_items"][0].to_pylist()}
    assert (lines["il_1_0"]["interval"], lines["il_1_0"]["plan_name"], lines["il_1_0"]["unit_amount"]) == (
        "month",
        "growth",
        1000,
    )
    assert (lines["il_1_1"]["proration"], lines["il_1_1"]["subscription_item_id"]) == (True, "si_1_0")
    # Stripe: limit, then starting_after = the last id of the previous page, while has_more.
    pages = [r.query for r in apis.logged("/v1/customers", "GET") if "created[gte]" not in r.query]
    assert [p.get("starting_after") for p in pages] == [None, "cus_5", "cus_2"]
    assert all(p["limit"] == "3" for p in pages)
    assert apis.logged("/v1/subscriptions")[0].query["status"] == "all"
    assert apis.logged("/v1/subscription_items")[0].query == {
        "subscription": "sub_2",
        "limit": "3",
        "starting_after": "si_2_1",
    }
    assert [r.path for r in apis.logged("/v1/invoices/")] == ["/v1/invoices/in_1/lines"]
    # Intercom: per_page and the opaque pages.next.starting_after; events follow pages.next URLs.
    contact_pages = apis.logged("/contacts")
    assert len(contact_pages) == 3 and "starting_after" not in contact_pages[0].query
    assert {r.headers["Intercom-Version"] for r in apis.logged(service="intercom")} == {INTERCOM_API_VERSION}
    assert all(r.headers["Authorization"] == f"Bearer {TOKEN}" for r in apis.logged(service="intercom"))
    assert all(r.headers["Authorization"] == f"Bearer {KEY}" for r in apis.logged(service="stripe"))
    assert len([r for r in apis.logged("/events") if r.query["intercom_user_id"] == "ct_1"]) == 3
    # Cursors: the newest timestamp seen; none for the tables always pulled whole.
    cursors = {t: r[3].cursor for t, r in result.items()}
    assert cursors["stripe_customers"] == str(BASE + 7 * 3600)
    assert cursors["stripe_subscriptions"] == cursors["stripe_subscription_items"] == str(BASE + 18060)
    assert cursors["intercom_conversations"] == str(BASE + 300)
    assert cursors["intercom_events"] == str(BASE + 240)
    assert cursors["intercom_companies"] is None and cursors["intercom_contacts"] is None


def test_account_keys_are_resolved_across_objects(apis, waits):
    result = pull(make_source(apis, waits))
    subs = {r["subscription_id"]: r["account_id"] for r in result["stripe_subscriptions"][0].to_pylist()}
    assert subs == {
        "sub_1": "acct_1",
        "sub_2": "acct_2",
        "sub_3": "cus_3",
        "sub_4": "acct_4",
        "sub_5": "acct_5",
    }
    contacts = {r["contact_id"]: r["account_id"] for r in result["intercom_contacts"][0].to_pylist()}
    assert contacts == {"ct_1": "acct_1", "ct_2": "acct_2", "ct_3": "acct_3", "ct_4": "acct_4", "ct_5": None}
    events = result["intercom_events"][0].to_pylist()
    assert {(e["contact_id"], e["account_id"]) for e in events} == {("ct_1", "acct_1"), ("ct_2", "acct_2")}
    assert {r["account_id"] for r in result["intercom_tickets"][0].to_pylist()} == {"acct_2"}


def test_429_500_and_timeout_are_retried_and_the_pull_succeeds(apis, waits):
    apis.fail("/v1/customers", 429, {"Retry-After": "2"})
    apis.fail("/v1/customers", 500)
    apis.fail("/v1/customers", 0, delay=0.6)  # answers after the client's 0.3 s timeout
    result = pull(make_source(apis, waits), ["stripe_customers"])
    assert result["stripe_customers"][0].num_rows == 7
    first_page = [r for r in apis.logged("/v1/customers") if "starting_after" not in r.query]
    assert len(first_page) == 4
    assert waits[0] == 2.0  # Retry-After honoured exactly
    assert all(0 < w <= 0.05 + 0.01 for w in waits[1:]) and len(waits) == 3  # backoff with jitter


def test_intercom_rate_limit_reset_is_honoured(apis, waits):
    apis.fail("/companies", 429, {"X-RateLimit-Reset": str(int(NOW) + 7)})
    result = pull(make_source(apis, waits), ["intercom_companies"])
    assert result["intercom_companies"][0].num_rows == 4
    assert waits == [7.0]


def test_stripe_should_retry_header_decides(apis, waits):
    apis.fail("/v1/customers", 409, {"Stripe-Should-Retry": "true"})
    assert pull(make_source(apis, waits), ["stripe_customers"])["stripe_customers"][0].num_rows == 7
    apis.clear_log()
    apis.fail("/v1/customers", 503, {"Stripe-Should-Retry": "false"})
    with pytest.raises(SourceError, match=r"GET /stripe/v1/customers answered 503 .* asked not to retry"):
        pull(make_source(apis, waits), ["stripe_customers"])
    assert len(apis.logged("/v1/customers")) == 1


def test_a_permanent_500_fails_naming_the_endpoint_after_bounded_attempts(apis, waits):
    apis.fail("/v1/invoices", 500, times=100)
    with pytest.raises(SourceError) as caught:
        pull(make_source(apis, waits), ["stripe_invoices"])
    message = str(caught.value)
    assert "GET /stripe/v1/invoices kept failing after 4 attempts" in message
    assert "HTTP 500" in message and "STRIPE_API_BASE" in message and "run again later" in message
    assert len(apis.logged("/v1/invoices")) == 4


def test_a_wait_beyond_the_budget_gives_up_at_once(apis, waits):
    apis.fail("/contacts", 429, {"Retry-After": "3600"}, times=10)
    with pytest.raises(
        SourceError, match=r"GET /intercom/contacts kept failing after 1 attempts.*asked to wait 3600s"
    ):
        pull(make_source(apis, waits), ["intercom_contacts"])
    assert waits == []


def test_refused_credentials_name_the_variable_to_fix(apis, waits):
    with pytest.raises(SourceError, match="STRIPE_API_KEY"):
        pull(make_source(apis, waits, key="sk_wrong"), ["stripe_customers"])
    with pytest.raises(SourceError, match="INTERCOM_API_TOKEN"):
        pull(make_source(apis, waits, token="wrong"), ["intercom_tickets"])
    assert len(apis.requests) == 2  # no retries on 401
    with pytest.raises(SourceError, match="STRIPE_API_KEY is not set"):
        next(make_source(apis, waits, key="").extract(["stripe_invoices"], {}))
    assert len(apis.requests) == 2


def change_the_world(apis: FakeApis) -> None:
    """What happens between two pulls: new objects, and changes to old ones."""
    apis.stripe["customers"].append(customer(8, NOW - 100))
    apis.stripe["subscriptions"].append(subscription(8, NOW - 90, customer_id="cus_8"))
    canceled = next(s for s in apis.stripe["subscriptions"] if s["id"] == "sub_1")
    canceled.update(status="canceled", canceled_at=NOW - 50, ended_at=NOW - 50)
    apis.stripe_events += [
        {
            "id": "evt_old",
            "object": "event",
            "type": "customer.subscription.updated",
            "created": BASE - 10,
            "data": {"object": subscription(3, BASE + 10860, status="past_due")},
        },
        {
            "id": "evt_1",
            "object": "event",
            "type": "customer.subscription.updated",
            "created": NOW - 50,
            "data": {"object": copy.deepcopy(canceled)},
        },
        {
            "id": "evt_2",
            "object": "event",
            "type": "invoice.paid",
            "created": NOW - 40,
            "data": {"object": invoice(5, BASE + 36000)},
        },
    ]
    apis.intercom["conversations"].append(conversation(4, NOW - 10))
    apis.intercom["conversations"][0]["updated_at"] = NOW - 5
    apis.intercom["tickets"].append(ticket(4, NOW - 3))
    apis.contact_events["ct_2"].append(event("exported-data", NOW - 20, "ct_2"))
    apis.intercom["surveys"].append(survey(4, NOW - 30))


def test_a_second_pull_with_the_cursors_fetches_only_what_is_new_or_changed(apis, waits):
    source = make_source(apis, waits)
    first = pull(source)
    cursors = {t: r[3].cursor for t, r in first.items() if r[3].cursor is not None}
    change_the_world(apis)
    apis.clear_log()

    second = pull(source, cursors=cursors)

    modes = {t: r[3].mode for t, r in second.items()}
    assert {t for t, m in modes.items() if m == "replace"} == {"intercom_companies", "intercom_contacts"}
    # The server was asked for objects created since the cursor, and for events since then.
    for path, table in (("/v1/customers", "stripe_customers"), ("/v1/subscriptions", "stripe_subscriptions")):
        lists = [r for r in apis.logged(path) if r.path == path]
        assert lists and all(r.query["created[gte]"] == cursors[table] for r in lists)
    events = {
        ",".join(r.lists.get("types[]", [r.query.get("type")])): r.query["created[gte]"]
        for r in apis.logged("/v1/events")
    }
    assert events == {
        "customer.updated,customer.deleted": cursors["stripe_customers"],
        "customer.subscription.*": cursors["stripe_subscriptions"],
        "invoice.*": cursors["stripe_invoices"],
    }
    searches = [r.body for r in apis.logged("/conversations/search")]
    since = int(cursors["intercom_conversations"]) - 1
    assert {str(b["query"]) for b in searches} == {
        str({"field": "updated_at", "operator": ">", "value": since})
    }
    assert "starting_after" in searches[-1]["pagination"]  # Intercom search pages with a cursor in the body
    assert apis.logged("/surveys/responses")[0].query["created_since"] == cursors["intercom_survey_responses"]
    # Only new or changed rows came back (the old event before the cursor did not), plus the objects of
    # the cursor's own second (cus_7, sub_5, in_6, cv_3, tk_3, resp_3, ct_1's newest event): pulled
    # again so that one created later in that same second is not missed; the upsert makes it harmless.
    assert ids(second, "stripe_customers") == ["cus_7", "cus_8"]
    assert ids(second, "stripe_subscriptions") == ["sub_1", "sub_5", "sub_8"]
    subs = {r["subscription_id"]: r for r in second["stripe_subscriptions"][0].to_pylist()}
    assert subs["sub_1"]["status"] == "canceled" and subs["sub_1"]["account_id"] == "acct_1"
    assert subs["sub_8"]["account_id"] == "acct_8"
    assert ids(second, "stripe_subscription_items") == ["si_1_0", "si_5_0", "si_8_0"]
    invoices = {r["invoice_id"]: r["status"] for r in second["stripe_invoices"][0].to_pylist()}
    assert invoices == {"in_5": "paid", "in_6": "paid"}  # in_5 was open: its invoice.paid event updates it
    assert ids(second, "intercom_conversations") == ["cv_1", "cv_3", "cv_4"]
    assert ids(second, "intercom_tickets") == ["tk_3", "tk_4"]
    new_events = second["intercom_events"][0].to_pylist()
    assert sorted((e["event_name"], e["contact_id"]) for e in new_events) == [
        ("created-report", "ct_1"),
        ("exported-data", "ct_2"),
    ]
    assert ids(second, "intercom_survey_responses") == ["resp_3", "resp_4"]
    # Events: each contact's listing stops at the first page older than the cursor.
    assert len([r for r in apis.logged("/events") if r.query.get("intercom_user_id") == "ct_1"]) == 1
    # The cursors moved on.
    assert second["stripe_subscriptions"][3].cursor == str(NOW - 50)
    assert second["intercom_tickets"][3].cursor == str(NOW - 3)


def land_pull(con, source: ApiSource, cursors: dict[str, str], batch: str):
    """Pull every table and land it into the DuckDB ``con`` as the raw asset does."""
    return land(DuckDBSession(con), source.extract(list(RAW_TABLES), cursors), "api", batch, LOADED_AT)


def test_re_pulling_never_duplicates_a_row_and_counts_every_copy(apis, waits, tmp_path):
    source = make_source(apis, waits)
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        first = land_pull(con, source, {}, "b1")
        cursors = {t: r.cursor for t, r in first.items() if r.cursor is not None}
        change_the_world(apis)
        # The same object both listed and named by events, and a search page that repeats an object.
        apis.stripe_events.append(
            {
                "id": "evt_3",
                "object": "event",
                "type": "customer.subscription.created",
                "created": NOW - 90,
                "data": {"object": subscription(8, NOW - 90, customer_id="cus_8")},
            }
        )
        apis.intercom["tickets"].append(copy.deepcopy(apis.intercom["tickets"][-1]))
        runs = [land_pull(con, source, cursors, "b2"), land_pull(con, source, cursors, "b3")]
        for table in RAW_TABLES:
            key = RAW_TABLES[table].primary_key
            assert con.execute(f"select count(*) - count(distinct {key}) from raw.{table}").fetchone() == (
                0,
            ), table
        for reports in runs:
            assert all(r.reconciles for r in reports.values())
        # sub_8 was listed and in an event; the ticket twice in one search: one copy each superseded.
        assert runs[0]["stripe_subscriptions"].superseded == 1
        assert runs[0]["intercom_tickets"].superseded == 1
        # The third run read the very same objects again: nothing to write.
        assert {t: r.landed for t, r in runs[1].items() if r.landed} == {
            "intercom_companies": 4,  # always pulled whole (replace)
            "intercom_contacts": 5,
        }


def test_a_cursor_older_than_stripes_events_means_a_whole_pull(apis, waits):
    stale = {"stripe_customers": str(NOW - 31 * 86_400)}
    result = pull(make_source(apis, waits), ["stripe_customers"], stale)
    assert result["stripe_customers"][3].mode == "replace"
    assert result["stripe_customers"][0].num_rows == 7
    assert not apis.logged("/v1/events")
    # A parent and child with one cursor missing: pulled whole too.
    result = pull(
        make_source(apis, waits),
        ["stripe_invoices", "stripe_invoice_line_items"],
        {"stripe_invoices": str(NOW)},
    )
    assert {r[3].mode for r in result.values()} == {"replace"}


def test_child_tables_can_be_consumed_first_from_one_pull(apis, waits):
    extracts = {
        e.table: e
        for e in make_source(apis, waits).extract(["stripe_invoices", "stripe_invoice_line_items"], {})
    }
    lines = list(extracts["stripe_invoice_line_items"].batches)
    invoices = list(extracts["stripe_invoices"].batches)
    assert sum(b.rows.num_rows for b in lines) == 8 and sum(b.rows.num_rows for b in invoices) == 6
    assert len([r for r in apis.logged("/v1/invoices") if r.path == "/v1/invoices"]) == 2  # one pass: 2 pages
    assert (
        extracts["stripe_invoices"].cursor
        == extracts["stripe_invoice_line_items"].cursor
        == str(BASE + 43200)
    )


def test_a_bad_api_record_is_quarantined_not_dropped(apis, waits):
    apis.stripe["customers"].append({"id": "cus_bad", "object": "customer", "created": "yesterday"})
    apis.stripe["customers"].append(
        {"id": "cus_bad2", "object": "customer", "created": BASE + 1, "delinquent": "no"}
    )
    rows, quarantined, read, _ = pull(make_source(apis, waits), ["stripe_customers"])["stripe_customers"]
    assert sorted((q.source_table, q.reason) for q in quarantined) == [
        ("stripe_customers", "created: not a unix timestamp (got 'yesterday')"),
        ("stripe_customers", "delinquent: expected true or false, got 'no'"),
    ]
    assert any('"id":"cus_bad2"' in q.record for q in quarantined)
    assert read == rows.num_rows + len(quarantined) == 9


def test_a_next_page_on_another_host_is_refused(apis, waits):
    apis.contact_events["ct_1"] = [event("e", BASE + k, "ct_1") for k in range(3)]
    original = apis._events

    def hijacked(query):
        answer = original(query)
        if answer["pages"].get("next"):
            answer["pages"]["next"] = "http://attacker.invalid/events?type=user"
        return answer

    apis._events = hijacked
    with pytest.raises(SourceError, match="attacker.invalid.*INTERCOM_API_BASE"):
        pull(make_source(apis, waits), ["intercom_events"])


def preview_event(n_lines: int = 12) -> dict:
    """invoice.upcoming: a preview invoice with no id, and more lines than Stripe embeds."""
    upcoming = invoice(99, NOW - 30, n_lines=n_lines)
    del upcoming["id"]
    upcoming["lines"]["has_more"] = True
    upcoming["lines"]["data"] = upcoming["lines"]["data"][:10]
    return {
        "id": "evt_up",
        "object": "event",
        "type": "invoice.upcoming",
        "created": NOW - 30,
        "data": {"object": upcoming},
    }


def test_a_preview_invoice_is_skipped_counted_and_never_fetched(apis, waits):
    source = make_source(apis, waits)
    first = pull(source, ["stripe_invoices", "stripe_invoice_line_items"])
    cursors = {t: r[3].cursor for t, r in first.items()}
    apis.stripe_events.append(preview_event())
    apis.clear_log()
    second = pull(source, ["stripe_invoices", "stripe_invoice_line_items"], cursors)
    _, quarantined, read, extract = second["stripe_invoices"]
    assert not quarantined and read == second["stripe_invoices"][0].num_rows + 1
    assert not [r for r in apis.logged("/v1/invoices/") if r.path.endswith("/lines")]
    # The cursor moves past the event, so the next run does not meet it again.
    assert extract.cursor == str(NOW - 30)


def test_a_late_event_lands_once_thanks_to_the_look_back(apis, waits, tmp_path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        first = land_pull(con, make_source(apis, waits, lookback_days=3), {}, "b1")
        cursor = int(first["intercom_events"].cursor)
        # Submitted after that run, dated a day before its newest event (the product batches its calls).
        apis.contact_events["ct_1"].append(event("shared-report", cursor - 86_400, "ct_1"))
        without = pull(
            make_source(apis, waits, lookback_days=0), ["intercom_events"], {"intercom_events": str(cursor)}
        )
        assert "shared-report" not in without["intercom_events"][0].column("event_name").to_pylist()
        cursors = {t: r.cursor for t, r in first.items() if r.cursor is not None}
        second = land_pull(con, make_source(apis, waits, lookback_days=3), cursors, "b2")
        third = land_pull(con, make_source(apis, waits, lookback_days=3), cursors, "b2")
        events = second["intercom_events"]
        # Six events re-read unchanged within the look-back, the late one written.
        assert (events.landed, events.unchanged, events.reconciles) == (1, 6, True)
        assert third["intercom_events"].landed == 0
        assert con.execute(
            "select count(*) from raw.intercom_events where event_name = 'shared-report'"
        ).fetchall() == [(1,)]


def test_a_day_of_syncing_against_flaky_current_apis(apis, waits, tmp_path):
    """First run under 429s, 5xx, a dropped connection, a slow answer and shifted pages: every object
    exactly once. Second run after changes, a late event and a preview: exactly those land. A third
    run whose endpoint keeps failing: one error naming it, and the raw tables as they were."""
    apis.fail("/v1/customers", 429, {"Retry-After": "1"})
    apis.fail("/contacts", 429, {"X-RateLimit-Reset": str(int(NOW) + 2)})
    apis.fail("/v1/invoices", 500)
    apis.fail("/v1/subscriptions", drop=True)
    apis.fail("/companies", 0, delay=0.1)  # slow, within the client's 0.3 s
    apis.repeat_boundary("/v1/customers")
    apis.repeat_boundary("/contacts")
    apis.repeat_boundary("/tickets/search")
    source = make_source(apis, waits, lookback_days=3)
    expected = LOADED_COUNTS
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:

        def counts() -> dict[str, tuple[int, int]]:
            return {
                t: con.execute(
                    f"select count(*), count(distinct {RAW_TABLES[t].primary_key}) from raw.{t}"
                ).fetchall()[0]
                for t in RAW_TABLES
            }

        first = land_pull(con, source, {}, "b1")
        assert counts() == {t: (n, n) for t, n in expected.items()}
        assert all(report.reconciles for report in first.values())
        # The repeated page boundaries were read twice and landed once.
        assert {t: r.superseded for t, r in first.items() if r.superseded} == {
            "stripe_customers": 1,
            "intercom_contacts": 1,
            "intercom_tickets": 1,
        }
        assert sorted(waits)[-2:] == [1.0, 2.0]  # Retry-After, then X-RateLimit-Reset, honoured

        change_the_world(apis)
        next(s for s in apis.stripe["invoices"] if s["id"] == "in_5").update(
            status="paid", amount_paid=1000, attempt_count=2
        )
        apis.contact_events["ct_1"].append(
            event("shared-report", BASE + 200, "ct_1")
        )  # late, before the cursor
        apis.stripe_events.append(preview_event())
        cursors = {t: r.cursor for t, r in first.items() if r.cursor is not None}
        second = land_pull(con, source, cursors, "b2")
        assert {t: r.landed for t, r in second.items()} == {
            "stripe_customers": 1,  # cus_8
            "stripe_subscriptions": 2,  # sub_8 new, sub_1 canceled
            "stripe_subscription_items": 1,  # sub_8's; sub_1's item is as it was
            "stripe_invoices": 1,  # in_5 paid
            "stripe_invoice_line_items": 0,
            "intercom_companies": 4,  # pulled whole every run
            "intercom_contacts": 5,
            "intercom_events": 2,  # exported-data, and the late shared-report
            "intercom_conversations": 2,  # cv_4 new, cv_1 updated
            "intercom_tickets": 1,  # tk_4
            "intercom_survey_responses": 1,  # resp_4
        }
        assert second["stripe_invoices"].skipped == {
            "preview invoice (invoice.upcoming): not an invoice until Stripe finalises it": 1
        }
        assert all(report.reconciles for report in second.values())
        grown = {
            **expected,
            "stripe_customers": 8,
            "stripe_subscriptions": 6,
            "stripe_subscription_items": 9,
            "intercom_events": 8,
            "intercom_conversations": 4,
            "intercom_tickets": 4,
            "intercom_survey_responses": 4,
        }
        assert counts() == {t: (n, n) for t, n in grown.items()}
        assert con.execute("select status from raw.stripe_invoices where invoice_id = 'in_5'").fetchone() == (
            "paid",
        )

        before = {t: con.execute(f"select * from raw.{t} order by all").fetchall() for t in RAW_TABLES}
        apis.fail("/v1/invoices", 500, times=100)
        with pytest.raises(SourceError) as failed:
            land_pull(con, source, cursors, "b3")
        assert str(failed.value).startswith("Stripe GET /stripe/v1/invoices kept failing after 4 attempts")
        assert "\n" not in str(failed.value)
        assert {
            t: con.execute(f"select * from raw.{t} order by all").fetchall() for t in RAW_TABLES
        } == before
