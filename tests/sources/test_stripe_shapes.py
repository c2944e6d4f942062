"""Stripe billing as it is: both API shapes of invoices, tiered and metered prices, discounts and taxes.

Every expected amount below is worked out by hand in the comment beside it.
"""

from __future__ import annotations

import pytest

from dagster_project.sources.records import Directory
from dagster_project.sources.records.stripe import parse_customer, parse_invoice, parse_subscription
from dagster_project.sources.records.stripe_prices import Price, amount_per_interval

T0 = 1_750_000_000
MONTH = {"interval": "month", "interval_count": 1}


def tiered(mode: str, **overrides) -> dict:
    # 1-10 seats at $10 with a $50 base, 11-50 at $8, 51+ at $5 (+ $100 flat on the last tier).
    return {
        "id": "price_tiered",
        "currency": "usd",
        "recurring": MONTH,
        "billing_scheme": "tiered",
        "tiers_mode": mode,
        "unit_amount": None,
        "tiers": [
            {"up_to": 10, "unit_amount": 1000, "flat_amount": 5000},
            {"up_to": 50, "unit_amount": 800, "flat_amount": None},
            {"up_to": None, "unit_amount_decimal": "500", "flat_amount": 10000},
        ],
        **overrides,
    }


@pytest.mark.parametrize(
    ("mode", "quantity", "expected"),
    [
        # volume: all seats at the price of the tier the quantity falls in, plus that tier's flat fee
        ("volume", 5, 5 * 1000 + 5000),  # 10,000
        ("volume", 10, 10 * 1000 + 5000),  # 15,000: 10 is still the first tier (up_to is inclusive)
        ("volume", 30, 30 * 800),  # 24,000
        ("volume", 60, 60 * 500 + 10000),  # 40,000
        # graduated: each seat at its own tier's price, plus the flat fee of every tier reached
        ("graduated", 5, 5 * 1000 + 5000),  # 10,000
        ("graduated", 30, 10 * 1000 + 5000 + 20 * 800),  # 31,000
        ("graduated", 60, 10 * 1000 + 5000 + 40 * 800 + 10 * 500 + 10000),  # 62,000
        ("graduated", 0, 0),
    ],
)
def test_tiered_prices_bill_by_their_tiers(mode, quantity, expected):
    assert amount_per_interval(Price.model_validate(tiered(mode)), quantity) == expected


def test_metered_and_unexpanded_tiered_prices_leave_mrr_to_the_invoices():
    metered = {
        "id": "p",
        "currency": "usd",
        "recurring": {**MONTH, "usage_type": "metered"},
        "unit_amount": 3,
    }
    assert amount_per_interval(Price.model_validate(metered), 1) is None
    assert amount_per_interval(Price.model_validate(tiered("volume", tiers=None)), 5) is None


def test_transform_quantity_and_sub_cent_unit_prices():
    per_1000 = {"divide_by": 1000, "round": "up"}
    price = {
        "id": "p",
        "currency": "usd",
        "recurring": MONTH,
        "unit_amount": 200,
        "transform_quantity": per_1000,
    }
    assert amount_per_interval(Price.model_validate(price), 2500) == 3 * 200  # 2.5 thousands rounded up: 3
    down = {**price, "transform_quantity": {"divide_by": 1000, "round": "down"}}
    assert amount_per_interval(Price.model_validate(down), 2500) == 2 * 200
    tenth_of_a_cent = {"id": "p", "currency": "usd", "recurring": MONTH, "unit_amount_decimal": "0.125"}
    assert amount_per_interval(Price.model_validate(tenth_of_a_cent), 1000) == 125  # 1000 x 0.125
    assert amount_per_interval(Price.model_validate(tenth_of_a_cent), 3) == 0  # 0.375 rounds to 0


def subscription_with(price: dict, quantity: int | None = 12, customer: str = "cus_1") -> dict:
    item = {"id": "si_1", "price": price, **({} if quantity is None else {"quantity": quantity})}
    return {
        "id": "sub_1",
        "customer": customer,
        "status": "active",
        "created": T0,
        "items": {"data": [item], "has_more": False},
    }


def test_a_tiered_subscription_is_priced_from_the_catalogue_not_quarantined():
    directory = Directory()
    directory.add_price(tiered("graduated"))
    # Stripe embeds the price without its tiers (they need expand[]=data.tiers on GET /v1/prices).
    embedded = {k: v for k, v in tiered("graduated").items() if k != "tiers"}
    (item,) = parse_subscription(subscription_with(embedded), directory)["stripe_subscription_items"]
    # 10 x $10 + $50 + 2 x $8 = $166.00
    assert (item["unit_amount"], item["amount_per_interval"], item["usage_type"]) == (None, 16600, "licensed")


def test_a_metered_item_has_no_amount_of_its_own():
    metered = {
        "id": "p_m",
        "currency": "usd",
        "recurring": {**MONTH, "usage_type": "metered"},
        "unit_amount": 2,
    }
    (item,) = parse_subscription(subscription_with(metered, None), Directory())["stripe_subscription_items"]
    assert (item["quantity"], item["amount_per_interval"], item["usage_type"]) == (1, None, "metered")


def basil_invoice(*lines: dict, subscription: str | None = "sub_1") -> dict:
    parent = (
        {"type": "subscription_details", "subscription_details": {"subscription": subscription}}
        if subscription
        else None
    )
    return {
        "id": "in_1",
        "object": "invoice",
        "customer": "cus_1",
        "parent": parent,
        "status": "paid",
        "currency": "eur",
        "amount_due": 12000,
        "amount_paid": 12000,
        "created": T0,
        "lines": {"data": list(lines), "has_more": False},
    }


def basil_line(line_id="il_1", amount=10000, proration=False, kind="subscription_item_details", **extra):
    details = {"proration": proration, "subscription": "sub_1", "invoice_item": None}
    if kind == "subscription_item_details":
        details["subscription_item"] = "si_1"
    return {
        "id": line_id,
        "object": "line_item",
        "amount": amount,
        "currency": "eur",
        "period": {"start": T0, "end": T0 + 30 * 86400},
        "quantity": 4,
        "parent": {"type": kind, kind: details},
        "pricing": {
            "type": "price_details",
            "price_details": {"price": "price_seat", "product": "prod_app"},
            "unit_amount_decimal": "2500",
        },
        **extra,
    }


def test_a_basil_invoice_line_reads_its_subscription_item_price_and_proration():
    directory = Directory()
    directory.add_price(
        {
            "id": "price_seat",
            "currency": "eur",
            "nickname": "seat",
            "recurring": {"interval": "year", "interval_count": 1},
        }
    )
    rows = parse_invoice(basil_invoice(basil_line()), directory)
    assert rows["stripe_invoices"][0]["subscription_id"] == "sub_1"
    (line,) = rows["stripe_invoice_line_items"]
    assert {k: line[k] for k in ("subscription_id", "subscription_item_id", "price_id", "plan_name")} == {
        "subscription_id": "sub_1",
        "subscription_item_id": "si_1",
        "price_id": "price_seat",
        "plan_name": "seat",
    }
    assert (line["unit_amount"], line["quantity"], line["interval"], line["interval_count"]) == (
        2500,
        4,
        "year",
        1,
    )
    assert line["proration"] is False


def test_a_basil_line_without_a_catalogue_keeps_its_price_id_for_staging():
    (line,) = parse_invoice(basil_invoice(basil_line()), Directory())["stripe_invoice_line_items"]
    # The interval is then taken in dbt from wherever the same price is known (an item, another line).
    assert (line["price_id"], line["unit_amount"], line["interval"]) == ("price_seat", 2500, None)


def test_a_proration_invoice_item_keeps_its_subscription_but_a_one_off_never_inherits_one():
    proration = basil_line("il_p", amount=-3000, proration=True, kind="invoice_item_details")
    one_off = basil_line("il_setup", amount=50000, kind="invoice_item_details")
    one_off["parent"]["invoice_item_details"]["subscription"] = None
    lines = {
        r["line_item_id"]: r
        for r in parse_invoice(basil_invoice(proration, one_off), Directory())["stripe_invoice_line_items"]
    }
    assert (lines["il_p"]["proration"], lines["il_p"]["subscription_id"]) == (True, "sub_1")
    assert lines["il_p"]["subscription_item_id"] is None  # staging matches it to its item by price
    assert (lines["il_setup"]["proration"], lines["il_setup"]["subscription_id"]) == (False, None)


def test_discounts_and_inclusive_taxes_in_both_shapes():
    # basil: taxes[].tax_behavior; a $100 line with a $20 discount and $16 of inclusive VAT, plus an
    # exclusive tax that is not part of the amount at all.
    basil = basil_line(
        discount_amounts=[{"amount": 1500, "discount": "di_1"}, {"amount": 500, "discount": "di_2"}],
        taxes=[
            {"amount": 1600, "tax_behavior": "inclusive", "taxable_amount": 8000, "type": "tax_rate_details"},
            {"amount": 700, "tax_behavior": "exclusive", "taxable_amount": 8000, "type": "tax_rate_details"},
        ],
    )
    (line,) = parse_invoice(basil_invoice(basil), Directory())["stripe_invoice_line_items"]
    assert (line["amount"], line["discount_amount"], line["inclusive_tax_amount"]) == (10000, 2000, 1600)
    # acacia: tax_amounts[].inclusive
    acacia = {
        "id": "il_a",
        "amount": 10000,
        "currency": "eur",
        "period": {"start": T0, "end": T0 + 86400},
        "type": "subscription",
        "subscription": "sub_1",
        "discount_amounts": [{"amount": 2000, "discount": "di_1"}],
        "tax_amounts": [{"amount": 1600, "inclusive": True}, {"amount": 700, "inclusive": False}],
    }
    invoice = basil_invoice(acacia)
    invoice.pop("parent")
    invoice["subscription"] = "sub_1"
    (line,) = parse_invoice(invoice, Directory())["stripe_invoice_line_items"]
    assert (line["amount"], line["discount_amount"], line["inclusive_tax_amount"]) == (10000, 2000, 1600)


def test_a_deleted_customer_keeps_what_its_event_carried():
    # A customer.deleted event carries the whole customer, account key included.
    obj = {
        "id": "cus_9",
        "object": "customer",
        "deleted": True,
        "created": T0,
        "metadata": {"account_id": "a9"},
    }
    (row,) = parse_customer(obj, Directory())["stripe_customers"]
    assert (row["account_id"], row["deleted"]) == ("a9", True)


def test_a_deleted_stub_teaches_no_account_key():
    # GET /v1/customers/<id> of a deleted customer: no metadata, so its account key is unknown. Its
    # subscriptions keep a null account_id, which staging resolves from the customer row landed before.
    directory = Directory()
    parse_customer({"id": "cus_9", "object": "customer", "deleted": True}, directory)
    price = {"id": "p", "currency": "usd", "recurring": MONTH, "unit_amount": 1}
    sub = parse_subscription(subscription_with(price, customer="cus_9"), directory)
    assert directory.account_of_customer("cus_9") is None
    assert sub["stripe_subscriptions"][0]["account_id"] is None
