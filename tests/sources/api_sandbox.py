"""A Stripe- and Intercom-compatible sandbox on 127.0.0.1 holding the demo book, and `make run-api`.

The demo generator's canonical rows are turned back into the objects the two
APIs answer with today (Stripe 2026-06-24.dahlia, Intercom 2.16: invoices with
``parent``, lines with ``pricing.price_details``, items with their billing
period, tickets with a ``ticket_state`` object) and served by ``FakeApis``, so
the whole job can run on the ``api`` source without a vendor account:

    make run-api                          # the sandbox, then the job against it
    python tests/sources/api_sandbox.py --serve   # the sandbox alone, until Ctrl-C

Like Intercom, the sandbox lists only the last 90 days of data events. Its
credentials are made up per run; the run fails if one of them reaches a log.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import secrets
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pyarrow as pa
from fake_apis import FakeApis

from dagster_project.sources.demo import DemoSource
from dagster_project.sources.raw_tables import RAW_TABLES

EPOCH = dt.datetime(1970, 1, 1)
SANDBOX_PATHS = {
    "HEALTH_WAREHOUSE": "data/api-sandbox/warehouse.duckdb",
    "DAGSTER_HOME": "data/api-sandbox/dagster_home",
    "HEALTH_PUBLISH_DIR": "data/api-sandbox/published",
}
# Intercom keeps data events listable for 90 days.
EVENT_DAYS = 90


def unix(value: dt.datetime | None) -> int | None:
    return None if value is None else int((value - EPOCH).total_seconds())


def demo_rows(source: DemoSource) -> dict[str, list[dict[str, Any]]]:
    """Every raw table of the demo book as row dicts."""
    rows: dict[str, list[dict[str, Any]]] = {}
    for extract in source.extract(list(RAW_TABLES), {}):
        rows[extract.table] = pa.concat_tables([b.rows for b in extract.batches]).to_pylist()
    return rows


def price_objects(rows: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """The price catalogue, from every item and line that names a price."""
    prices: dict[str, dict[str, Any]] = {}
    for r in rows["stripe_subscription_items"] + rows["stripe_invoice_line_items"]:
        if r["price_id"] and r.get("interval") and r["price_id"] not in prices:
            prices[r["price_id"]] = {
                "id": r["price_id"],
                "object": "price",
                "active": True,
                "billing_scheme": "per_unit",
                "currency": r["currency"],
                "nickname": r["plan_name"],
                "product": r.get("product_id") or "prod_app",
                "recurring": {
                    "interval": r["interval"],
                    "interval_count": r["interval_count"],
                    "usage_type": "licensed",
                },
                "type": "recurring",
                "unit_amount": r["unit_amount"],
                "unit_amount_decimal": str(r["unit_amount"]),
            }
    return prices


def stripe_objects(rows: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """Customers, subscriptions with items and invoices with lines, in the 2025-03-31+ shapes."""
    prices = price_objects(rows)
    customers = [
        {
            "id": r["customer_id"],
            "object": "customer",
            "created": unix(r["created_at"]),
            "name": r["name"],
            "email": r["email"],
            "currency": r["currency"],
            "delinquent": r["delinquent"],
            "metadata": json.loads(r["metadata"] or "{}"),
        }
        for r in rows["stripe_customers"]
    ]
    items = defaultdict(list)
    subscriptions_by_id = {r["subscription_id"]: r for r in rows["stripe_subscriptions"]}
    for r in rows["stripe_subscription_items"]:
        sub = subscriptions_by_id[r["subscription_id"]]
        items[r["subscription_id"]].append(
            {
                "id": r["subscription_item_id"],
                "object": "subscription_item",
                "created": unix(r["created_at"]),
                "price": prices[r["price_id"]],
                "quantity": r["quantity"],
                "subscription": r["subscription_id"],
                "current_period_start": unix(sub["current_period_start"]),
                "current_period_end": unix(sub["current_period_end"]),
            }
        )
    subscriptions = [
        {
            "id": r["subscription_id"],
            "object": "subscription",
            "customer": r["customer_id"],
            "status": r["status"],
            "created": unix(r["created_at"]),
            "start_date": unix(r["started_at"]),
            "cancel_at_period_end": r["cancel_at_period_end"],
            "canceled_at": unix(r["canceled_at"]),
            "ended_at": unix(r["ended_at"]),
            "metadata": json.loads(r["metadata"] or "{}"),
            "items": {"object": "list", "data": items[r["subscription_id"]], "has_more": False},
        }
        for r in rows["stripe_subscriptions"]
    ]
    lines = defaultdict(list)
    for r in rows["stripe_invoice_line_items"]:
        lines[r["invoice_id"]].append(
            {
                "id": r["line_item_id"],
                "object": "line_item",
                "amount": r["amount"],
                "currency": r["currency"],
                "description": r["description"],
                "discount_amounts": [],
                "period": {"start": unix(r["period_start"]), "end": unix(r["period_end"])},
                "quantity": r["quantity"],
                "parent": {
                    "type": "subscription_item_details",
                    "subscription_item_details": {
                        "invoice_item": None,
                        "proration": r["proration"],
                        "subscription": r["subscription_id"],
                        "subscription_item": r["subscription_item_id"],
                    },
                },
                "pricing": {
                    "type": "price_details",
                    "price_details": {"price": r["price_id"], "product": prices[r["price_id"]]["product"]},
                    "unit_amount_decimal": str(r["unit_amount"]),
                },
                "taxes": [],
            }
        )
    invoices = [
        {
            "id": r["invoice_id"],
            "object": "invoice",
            "customer": r["customer_id"],
            "parent": {
                "type": "subscription_details",
                "subscription_details": {"subscription": r["subscription_id"], "metadata": {}},
            },
            "status": r["status"],
            "currency": r["currency"],
            "amount_due": r["amount_due"],
            "amount_paid": r["amount_paid"],
            "amount_remaining": r["amount_remaining"],
            "attempt_count": r["attempt_count"],
            "created": unix(r["created_at"]),
            "due_date": unix(r["due_at"]),
            "status_transitions": {"paid_at": unix(r["paid_at"])},
            "period_start": unix(r["period_start"]),
            "period_end": unix(r["period_end"]),
            "lines": {"object": "list", "data": lines[r["invoice_id"]], "has_more": False},
        }
        for r in rows["stripe_invoices"]
    ]
    return {
        "customers": customers,
        "subscriptions": subscriptions,
        "invoices": invoices,
        "prices": list(prices.values()),
    }


def contact_refs(contact_id: str | None) -> dict[str, Any]:
    refs = [{"type": "contact", "id": contact_id}] if contact_id else []
    return {"type": "contact.list", "contacts": refs}


def intercom_objects(rows: dict[str, list[dict[str, Any]]], now: dt.datetime) -> dict[str, Any]:
    """Companies, contacts, conversations, tickets, events per contact and surveys, as 2.16 answers."""
    intercom_id = {
        r["company_id"]: r["intercom_id"] or f"ic_{r['company_id']}" for r in rows["intercom_companies"]
    }
    companies = [
        {
            "type": "company",
            "id": intercom_id[r["company_id"]],
            "company_id": r["company_id"],
            "name": r["name"],
            "plan": {"type": "plan", "name": r["plan_name"]} if r["plan_name"] else {},
            "industry": r["industry"],
            "size": r["employee_count"],
            "custom_attributes": {"account_owner": r["account_owner"]} if r["account_owner"] else {},
            "created_at": unix(r["created_at"]),
            "updated_at": unix(r["updated_at"]),
        }
        for r in rows["intercom_companies"]
    ]
    contacts = [
        {
            "type": "contact",
            "id": r["contact_id"],
            "external_id": r["external_id"],
            "email": r["email"],
            "name": r["name"],
            "role": r["role"],
            "companies": {
                "type": "list",
                "data": [{"type": "company", "id": intercom_id[r["account_id"]]}]
                if r["account_id"] in intercom_id
                else [],
            },
            "created_at": unix(r["created_at"]),
            "updated_at": unix(r["updated_at"]),
            "last_seen_at": unix(r["last_seen_at"]),
        }
        for r in rows["intercom_contacts"]
    ]
    conversations = []
    for r in rows["intercom_conversations"]:
        customer_started = r["initiated_by"] == "customer"
        reply = unix(r["first_response_at"])
        statistics = (
            {"first_admin_reply_at": reply} if customer_started else {"first_contact_reply_at": reply}
        )
        conversations.append(
            {
                "type": "conversation",
                "id": r["conversation_id"],
                "created_at": unix(r["created_at"]),
                "updated_at": unix(r["updated_at"] or r["created_at"]),
                "state": r["state"],
                "open": r["state"] == "open",
                "source": {
                    "type": "conversation",
                    "author": {"type": "user", "id": r["contact_id"]}
                    if customer_started
                    else {"type": "admin", "id": r["admin_assignee_id"] or "admin_1"},
                },
                "contacts": contact_refs(r["contact_id"]),
                "admin_assignee_id": r["admin_assignee_id"],
                "statistics": statistics,
                "conversation_rating": {"rating": r["rating"]} if r["rating"] else None,
            }
        )
    tickets = [
        {
            "type": "ticket",
            "id": r["ticket_id"],
            "ticket_id": r["ticket_id"].removeprefix("tkt_"),
            "category": r["category"] or "Customer",
            "ticket_attributes": {"_default_title_": r["title"], "priority": r["priority"]},
            "ticket_state": {"type": "ticket_state", "category": r["state"]},
            "contacts": contact_refs(r["contact_id"]),
            "created_at": unix(r["created_at"]),
            "updated_at": unix(r["closed_at"] or r["updated_at"] or r["created_at"]),
            "open": r["state"] != "resolved",
            "conversation_rating": {"rating": r["rating"]} if r["rating"] else None,
        }
        for r in rows["intercom_tickets"]
    ]
    listable_from = now - dt.timedelta(days=EVENT_DAYS)
    events: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows["intercom_events"]:
        if r["contact_id"] and r["occurred_at"] >= listable_from:
            events[r["contact_id"]].append(
                {
                    "type": "event",
                    "event_name": r["event_name"],
                    "created_at": unix(r["occurred_at"]),
                    "intercom_user_id": r["contact_id"],
                    "metadata": json.loads(r["metadata"] or "{}"),
                }
            )
    surveys = [
        {
            "id": r["response_id"],
            "type": r["survey_type"],
            "score": r["score"],
            "company_id": r["account_id"],
            "contact_id": r["contact_id"],
            "created_at": unix(r["responded_at"]),
            "comment": r["comment"],
        }
        for r in rows["intercom_survey_responses"]
    ]
    return {
        "companies": companies,
        "contacts": contacts,
        "conversations": conversations,
        "tickets": tickets,
        "surveys": surveys,
        "events": dict(events),
    }


def sandbox(source: DemoSource, stripe_key: str, intercom_token: str) -> FakeApis:
    """A FakeApis (not yet started) holding the demo book in today's API shapes."""
    rows = demo_rows(source)
    apis = FakeApis(stripe_key, intercom_token, nested_limit=10)
    apis.stripe.update(stripe_objects(rows))
    objects = intercom_objects(rows, dt.datetime.now(dt.UTC).replace(tzinfo=None))
    apis.contact_events = objects.pop("events")
    apis.intercom.update(objects)
    return apis


def settings(apis: FakeApis, stripe_key: str, intercom_token: str) -> dict[str, str]:
    """The environment that points the api source at the sandbox."""
    return {
        "HEALTH_SOURCE": "api",
        "STRIPE_API_BASE": apis.stripe_base,
        "STRIPE_API_KEY": stripe_key,
        "INTERCOM_API_BASE": apis.intercom_base,
        "INTERCOM_API_TOKEN": intercom_token,
    }


def secrets_in(paths: list[Path], *needles: str) -> list[str]:
    """The files among ``paths`` (and the files under folders among them) that contain a needle."""
    found = []
    for path in paths:
        files = (
            [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()] if path.exists() else []
        )
        for file in files:
            data = file.read_bytes()
            if any(n.encode() in data for n in needles):
                found.append(str(file))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", action="store_true", help="serve the sandbox until interrupted")
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--days", type=int, default=240)
    args = parser.parse_args(argv)
    stripe_key = f"sk_test_sandbox_{secrets.token_hex(12)}"
    intercom_token = f"tok_sandbox_{secrets.token_hex(12)}"
    source = DemoSource(
        accounts=args.accounts, days=args.days, events_per_account_day=1.5, contacts_per_account=4
    )
    print(
        f"Seeding the sandbox with the demo book ({args.accounts} accounts, {args.days} days)...", flush=True
    )
    with sandbox(source, stripe_key, intercom_token) as apis:
        env = settings(apis, stripe_key, intercom_token)
        if args.serve:
            for name, value in env.items():
                print(f"export {name}={value}")
            print("Serving on 127.0.0.1; Ctrl-C stops it.", flush=True)
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                return 0
        print(
            f"Sandbox at {apis.root} (Stripe {apis.stripe_base}, Intercom {apis.intercom_base})", flush=True
        )
        os.environ.update(env)
        # Its own warehouse, run history and BI copy, beside (not over) the demo's in data/.
        for name, default in SANDBOX_PATHS.items():
            os.environ.setdefault(name, default)
        from dagster_project.run import main as run_job

        code = run_job()
    home = Path(os.environ["DAGSTER_HOME"])
    leaked = secrets_in([home, home.parent / "logs"], stripe_key, intercom_token)
    if leaked:
        print(f"A sandbox credential was written to: {', '.join(leaked)}", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
