"""Revenue and MRR models on a hand-made billing world; every expected value is worked out by hand.

The world's history runs from 2026-01-01 to 2026-06-30 (the first and last product events); the
billing history begins on 2025-12-01 (the earliest invoice line). One dbt build serves every test
but the last, which re-runs one month's window to show the incremental model is rebuilt in place.

Accounts:
- acct_norm: three subscriptions, one per billing interval (Stripe keeps one interval per
  subscription): $1,200 a year (x1), $30 every 3 months (x2) and $10 a week (x1).
- acct_upgrade: 10 growth seats at $35/month, upgraded on 20 Feb to 10 enterprise seats at $60,
  downgraded on 25 Apr to 8 enterprise seats; the proration lines date both changes.
- acct_return: 5 starter seats at $20/month, canceled immediately on 20 Feb, back on 15 Apr.
- acct_payer: $100/month, invoices paid, paid late, written off, open, void and due by terms.
- acct_trial: a trialing subscription, never invoiced.
- acct_eur: EUR 100/month, invoiced once; the current item carries it to the current period end.
"""

from __future__ import annotations

import csv
from datetime import date, datetime
from decimal import Decimal

import pytest

from tests.dbt_scenarios import DBT_DIR, dbt_build, land_scenario, query, run_dbt

D = Decimal


def eur_rate() -> Decimal:
    """Dollars per euro in the seed (an analyst may update it; the test follows)."""
    with open(DBT_DIR.parent / "seeds" / "currency_rates.csv") as f:
        return next(
            D(r["units_of_reporting_currency_per_unit"]) for r in csv.DictReader(f) if r["currency"] == "eur"
        )


class World:
    """Collects raw rows; small builders keep each scenario to what its expectations depend on."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict]] = {
            k: []
            for k in (
                "stripe_customers",
                "stripe_subscriptions",
                "stripe_subscription_items",
                "stripe_invoices",
                "stripe_invoice_line_items",
                "intercom_events",
            )
        }

    def customer(self, account: str, currency: str = "usd") -> None:
        self.rows["stripe_customers"].append(
            {
                "customer_id": f"cus_{account}",
                "account_id": account,
                "currency": currency,
                "created_at": datetime(2025, 11, 1),
            }
        )

    def subscription(self, sub: str, account: str, started: datetime, period_end: datetime, **kw) -> None:
        self.rows["stripe_subscriptions"].append(
            {
                "subscription_id": sub,
                "customer_id": f"cus_{account}",
                "status": kw.pop("status", "active"),
                "created_at": started,
                "started_at": started,
                "current_period_end": period_end,
                **kw,
            }
        )

    def item(
        self,
        sub: str,
        plan: str,
        unit: int | None,
        quantity: int,
        interval="month",
        count=1,
        currency="usd",
        **kw,
    ) -> None:
        self.rows["stripe_subscription_items"].append(
            {
                "subscription_item_id": f"si_{sub}",
                "subscription_id": sub,
                "price_id": f"price_{plan}_{interval}_{count}",
                "plan_name": plan,
                "unit_amount": unit,
                "currency": currency,
                "interval": interval,
                "interval_count": count,
                "quantity": quantity,
                **kw,
            }
        )

    def invoice(self, inv: str, account: str, sub: str, created: datetime, amount: int, **kw) -> None:
        status = kw.pop("status", "paid")
        self.rows["stripe_invoices"].append(
            {
                "invoice_id": inv,
                "customer_id": f"cus_{account}",
                "subscription_id": sub,
                "status": status,
                "currency": kw.pop("currency", "usd"),
                "amount_due": amount,
                "amount_paid": kw.pop("amount_paid", amount if status == "paid" else 0),
                "attempt_count": kw.pop("attempt_count", 1),
                "created_at": created,
                "paid_at": kw.pop("paid_at", created if status == "paid" else None),
                **kw,
            }
        )

    def line(self, inv: str, sub: str, plan: str, unit: int, quantity: int, start, end, **kw) -> None:
        n = len(self.rows["stripe_invoice_line_items"])
        interval, count = kw.pop("interval", "month"), kw.pop("count", 1)
        self.rows["stripe_invoice_line_items"].append(
            {
                "line_item_id": f"il_{n}",
                "invoice_id": inv,
                "subscription_id": sub,
                "subscription_item_id": f"si_{sub}",
                "price_id": kw.pop("price_id", f"price_{plan}_{interval}_{count}"),
                "plan_name": plan,
                "unit_amount": unit,
                "interval": interval,
                "interval_count": count,
                "quantity": quantity,
                "amount": kw.pop("amount", (unit or 0) * quantity),
                "currency": kw.pop("currency", "usd"),
                "period_start": start,
                "period_end": end,
                "proration": kw.pop("proration", False),
                **kw,
            }
        )

    def billed(self, account: str, sub: str, plan: str, unit: int, quantity: int, start, end, **kw) -> None:
        """A paid invoice on the period start with one regular line."""
        inv = f"in_{sub}_{start:%Y%m%d}"
        self.invoice(inv, account, sub, start, unit * quantity, currency=kw.get("currency", "usd"))
        self.line(inv, sub, plan, unit, quantity, start, end, **kw)


def month(m: int, d: int = 1, h: int = 12, y: int = 2026) -> datetime:
    return datetime(y, m, d, h)


def build_world() -> dict[str, list[dict]]:
    w = World()
    # The history: product events on the first and last day.
    w.rows["intercom_events"] = [
        {"event_id": "e1", "event_name": "logged-in", "occurred_at": month(1, 1)},
        {"event_id": "e2", "event_name": "logged-in", "occurred_at": month(6, 30)},
    ]

    # acct_norm. Yearly: 1200.00 / 12 = 100.00. Every 3 months: 30.00 / 3 = 10.00 x 2 seats = 20.00.
    # Weekly: 10.00 x 52 / 12 = 43.333... Invoiced periods: the year from 1 Dec 2025; quarters from
    # 1 Dec 2025; one week 12-19 Jan, then the current item until its period end on 26 Jan.
    w.customer("acct_norm")
    w.subscription("s_year", "acct_norm", month(12, 1, y=2025), month(12, 1))
    w.item("s_year", "annual", 120000, 1, "year")
    w.billed("acct_norm", "s_year", "annual", 120000, 1, month(12, 1, y=2025), month(12, 1), interval="year")
    w.subscription("s_quarter", "acct_norm", month(12, 1, y=2025), month(9, 1))
    w.item("s_quarter", "quarterly", 3000, 2, "month", 3)
    for start, end in [
        (month(12, 1, y=2025), month(3, 1)),
        (month(3, 1), month(6, 1)),
        (month(6, 1), month(9, 1)),
    ]:
        w.billed("acct_norm", "s_quarter", "quarterly", 3000, 2, start, end, count=3)
    w.subscription("s_week", "acct_norm", month(1, 12), month(1, 26))
    w.item("s_week", "weekly", 1000, 1, "week")
    w.billed("acct_norm", "s_week", "weekly", 1000, 1, month(1, 12), month(1, 19), interval="week")

    # acct_upgrade: 10 x growth $35 = 350.00 from 10 Jan; on 20 Feb 09:00 to 10 x enterprise $60 =
    # 600.00; on 25 Apr 09:00 to 8 x enterprise = 480.00. The 10 Mar and 10 May invoices carry the
    # prorations: a credit for the old price and a charge for the new one, from the change on.
    w.customer("acct_upgrade")
    w.subscription("s_up", "acct_upgrade", month(1, 10), month(7, 10))
    w.item("s_up", "enterprise", 6000, 8)
    w.billed("acct_upgrade", "s_up", "growth", 3500, 10, month(1, 10), month(2, 10))
    w.billed("acct_upgrade", "s_up", "growth", 3500, 10, month(2, 10), month(3, 10))
    w.billed("acct_upgrade", "s_up", "enterprise", 6000, 10, month(3, 10), month(4, 10))
    change = datetime(2026, 2, 20, 9)
    w.line(
        "in_s_up_20260310", "s_up", "growth", 3500, 10, change, month(3, 10), amount=-22500, proration=True
    )
    w.line(
        "in_s_up_20260310", "s_up", "enterprise", 6000, 10, change, month(3, 10), amount=38571, proration=True
    )
    w.billed("acct_upgrade", "s_up", "enterprise", 6000, 10, month(4, 10), month(5, 10))
    w.billed("acct_upgrade", "s_up", "enterprise", 6000, 8, month(5, 10), month(6, 10))
    w.billed("acct_upgrade", "s_up", "enterprise", 6000, 8, month(6, 10), month(7, 10))
    change = datetime(2026, 4, 25, 9)
    w.line(
        "in_s_up_20260510",
        "s_up",
        "enterprise",
        6000,
        10,
        change,
        month(5, 10),
        amount=-30000,
        proration=True,
    )
    w.line(
        "in_s_up_20260510", "s_up", "enterprise", 6000, 8, change, month(5, 10), amount=24000, proration=True
    )

    # acct_return: 5 x starter $20 = 100.00 from 5 Jan; canceled at once on 20 Feb 14:00 (its
    # period ran to 5 Mar: nothing counts from 20 Feb); a new subscription from 15 Apr.
    w.customer("acct_return")
    w.subscription(
        "s_ret1",
        "acct_return",
        month(1, 5),
        month(3, 5),
        status="canceled",
        canceled_at=datetime(2026, 2, 20, 14),
        ended_at=datetime(2026, 2, 20, 14),
    )
    w.item("s_ret1", "starter", 2000, 5)
    w.billed("acct_return", "s_ret1", "starter", 2000, 5, month(1, 5), month(2, 5))
    w.billed("acct_return", "s_ret1", "starter", 2000, 5, month(2, 5), month(3, 5))
    w.subscription("s_ret2", "acct_return", month(4, 15), month(7, 15))
    w.item("s_ret2", "starter", 2000, 5)
    for m in (4, 5, 6):
        w.billed("acct_return", "s_ret2", "starter", 2000, 5, month(m, 15), month(m + 1, 15))

    # acct_payer: 2 x $50 = 100.00 a month from 1 Jan; invoices (lines below):
    #   d1 1 Jan paid at once; d2 1 Feb paid by a retry on 4 Feb (2 attempts); d3 1 Mar written off
    #   (uncollectible, 40.00 of it paid, 4 attempts); d4 1 Apr open after 1 attempt; d5 20 Apr void;
    #   d6 1 May paid at once; d7 1 Jun open, sent with terms: due 15 Jun, no attempt yet.
    w.customer("acct_payer")
    w.subscription("s_pay", "acct_payer", month(1, 1, 0), month(7, 1, 0))
    w.item("s_pay", "growth", 5000, 2)
    w.invoice("d1", "acct_payer", "s_pay", month(1, 1), 10000)
    w.invoice("d2", "acct_payer", "s_pay", month(2, 1), 10000, attempt_count=2, paid_at=month(2, 4))
    w.invoice(
        "d3",
        "acct_payer",
        "s_pay",
        month(3, 1),
        10000,
        status="uncollectible",
        amount_paid=4000,
        attempt_count=4,
    )
    w.invoice("d4", "acct_payer", "s_pay", month(4, 1), 10000, status="open", amount_remaining=10000)
    w.invoice("d5", "acct_payer", "s_pay", month(4, 20), 5000, status="void", attempt_count=0)
    w.invoice("d6", "acct_payer", "s_pay", month(5, 1), 10000)
    w.invoice(
        "d7", "acct_payer", "s_pay", month(6, 1), 10000, status="open", attempt_count=0, due_at=month(6, 15)
    )
    for inv, m in (("d1", 1), ("d2", 2), ("d3", 3), ("d4", 4), ("d6", 5), ("d7", 6)):
        w.line(inv, "s_pay", "growth", 5000, 2, month(m, 1, 0), month(m + 1, 1, 0))

    # acct_trial: 3 x growth, trialing from 1 Feb until 1 Jul; never invoiced.
    w.customer("acct_trial")
    w.subscription("s_trial", "acct_trial", month(2, 1), month(7, 1), status="trialing")
    w.item("s_trial", "growth", 3500, 3)

    # acct_eur: EUR 100.00 a month from 1 Jan, one invoice; the current item until 1 Jul.
    w.customer("acct_eur", "eur")
    w.subscription("s_eur", "acct_eur", month(1, 1), month(7, 1))
    w.item("s_eur", "growth", 10000, 1, currency="eur")
    w.billed("acct_eur", "s_eur", "growth", 10000, 1, month(1, 1), month(2, 1), currency="eur")
    billing_as_it_is(w)
    return w.rows


# Accounts of Stripe billing as it is (discounts, taxes, tiers, usage, API versions from 2025-03-31,
# deleted customers); their names start with "shape_" and the totals tests leave them out.
SHAPES = "account_id not like 'shape%'"


def billing_as_it_is(w: World) -> None:
    # shape_net: $100/month list, a $25 discount and $15 of tax included in the price: it earns
    # 100 - 25 - 15 = $60.00 (net of discounts, without tax). Invoiced Jan; the current item carries
    # the discount on (its list $100 x the last line's 60 %) to its period end on 1 Mar.
    w.customer("shape_net")
    w.subscription("s_net", "shape_net", month(1, 1), month(3, 1))
    w.item("s_net", "growth", 10000, 1)
    w.invoice("in_net", "shape_net", "s_net", month(1, 1), 8500)
    w.line(
        "in_net",
        "s_net",
        "growth",
        10000,
        1,
        month(1, 1),
        month(2, 1),
        discount_amount=2500,
        inclusive_tax_amount=1500,
    )

    # shape_tiered: a graduated price for 12 seats: $166.00 per month (10 x $10 + $50 + 2 x $8). The Jan
    # line has no unit price (its amount says it); the current item's tiers say it after.
    w.customer("shape_tiered")
    w.subscription("s_tier", "shape_tiered", month(1, 1), month(3, 1))
    w.item("s_tier", "tiered", None, 12, amount_per_interval=16600)
    w.invoice("in_tier", "shape_tiered", "s_tier", month(1, 1), 16600)
    w.line("in_tier", "s_tier", "tiered", None, 12, month(1, 1), month(2, 1), amount=16600)

    # shape_metered: usage at 2 cents a call, billed in arrears: Jan's usage invoice says 2,160 calls,
    # $43.20; with no price per interval, the item carries on at what it last billed.
    w.customer("shape_metered")
    w.subscription("s_meter", "shape_metered", month(1, 1), month(3, 1))
    w.item("s_meter", "calls", 2, 1, usage_type="metered")
    w.invoice("in_meter", "shape_metered", "s_meter", month(1, 1), 4320)
    w.line("in_meter", "s_meter", "calls", 2, 2160, month(1, 1), month(2, 1))

    # shape_basil: lines as API versions from 2025-03-31 give them without a price catalogue: no
    # interval on the lines, and the 10 Feb upgrade's proration charge without its subscription item.
    # The item shows the enterprise price's interval; growth's is on no item: its Jan line is the
    # oldest sight of it, so it takes the item's interval. 5 x $35 = $175.00, then 5 x $60 = $300.00.
    w.customer("shape_basil")
    w.subscription("s_basil", "shape_basil", month(1, 1), month(3, 1))
    w.item("s_basil", "enterprise", 6000, 5)
    w.invoice("in_basil_jan", "shape_basil", "s_basil", month(1, 1), 17500)
    w.line("in_basil_jan", "s_basil", "growth", 3500, 5, month(1, 1), month(2, 1), interval=None)
    w.invoice("in_basil_feb", "shape_basil", "s_basil", month(2, 1), 17500)
    w.line("in_basil_feb", "s_basil", "growth", 3500, 5, month(2, 1), month(3, 1), interval=None)
    w.line(
        "in_basil_feb",
        "s_basil",
        "enterprise",
        6000,
        5,
        month(2, 10),
        month(3, 1),
        interval=None,
        price_id="price_enterprise_month_1",
        subscription_item_id=None,
        proration=True,
        amount=10179,
    )
    # A one-off set-up fee on the same invoice: no interval anywhere, never MRR.
    w.line(
        "in_basil_feb",
        "s_basil",
        "setup",
        50000,
        1,
        month(2, 1),
        month(2, 1),
        interval=None,
        price_id="price_setup",
        subscription_item_id=None,
    )

    # shape_deleted: a customer deleted in Stripe whose subscription was last landed active, invoiced
    # through 1 Mar: it ended when its last invoiced period did.
    w.customer("shape_deleted")
    w.rows["stripe_customers"][-1]["deleted"] = True
    w.subscription("s_del", "shape_deleted", month(1, 1), month(4, 1))
    w.item("s_del", "growth", 5000, 1)
    w.billed("shape_deleted", "s_del", "growth", 5000, 1, month(1, 1), month(2, 1))
    w.billed("shape_deleted", "s_del", "growth", 5000, 1, month(2, 1), month(3, 1))


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    path = land_scenario(tmp_path_factory.mktemp("revenue"), build_world())
    dbt_build(path, "mrr_daily +mrr_movements")
    return path


COLUMNS = (
    "mrr, plan_name, licensed_seats, is_active, is_trialing, tenure_days, days_to_renewal, lifetime_value, "
    "failed_invoices_90d, open_past_due_invoices, days_past_due, mrr_90d_ago, mrr_change_90d"
)


def day(warehouse, account: str, on: date) -> dict:
    rows = query(
        warehouse,
        f"select {COLUMNS} from intermediate.int_account_revenue_daily "
        f"where account_id = '{account}' and as_of_date = '{on}'",
    )
    assert len(rows) == 1, (account, on, rows)
    return dict(zip([c.strip() for c in COLUMNS.split(",")], rows[0], strict=True))


def mrr(warehouse, account: str, on: date) -> Decimal:
    return day(warehouse, account, on)["mrr"]


def test_prices_are_normalised_to_a_month_times_quantity(warehouse):
    # 15 Jan: 100.00 + 20.00 + 43.333... = 163.333... -> 163.33; seats 1 + 2 + 1.
    jan15 = day(warehouse, "acct_norm", date(2026, 1, 15))
    assert jan15["mrr"] == D("163.33")
    assert jan15["licensed_seats"] == 4
    assert jan15["plan_name"] == "annual"  # the largest item: 100.00
    assert jan15["days_to_renewal"] == 4  # the weekly period ends on 19 Jan
    # 20 Jan: the week after the last invoiced one, from the current item (until 26 Jan).
    assert mrr(warehouse, "acct_norm", date(2026, 1, 25)) == D("163.33")
    # 26 Jan: the weekly subscription's current period is over: 100.00 + 20.00.
    assert mrr(warehouse, "acct_norm", date(2026, 1, 26)) == D("120.00")


def test_an_item_in_another_currency_is_converted(warehouse):
    # EUR 100.00 a month x the seed's dollars per euro (1.16 when written: 116.00), carried by the
    # current item after the one invoiced month.
    expected = (D("100") * eur_rate()).quantize(D("0.01"))
    assert mrr(warehouse, "acct_eur", date(2026, 1, 15)) == expected
    assert mrr(warehouse, "acct_eur", date(2026, 6, 30)) == expected


def test_an_upgrade_and_a_downgrade_count_from_the_day_the_prorations_date_them(warehouse):
    before, after = (
        day(warehouse, "acct_upgrade", date(2026, 2, 19)),
        day(warehouse, "acct_upgrade", date(2026, 2, 20)),
    )
    # 10 x 35.00 until the change, 10 x 60.00 from it; the prorations' amounts (-225.00, +385.71) never count.
    assert (before["mrr"], before["plan_name"]) == (D("350.00"), "growth")
    assert (after["mrr"], after["plan_name"]) == (D("600.00"), "enterprise")
    # Renewal: the period 10 Feb - 10 Mar; 19 and 18 days left.
    assert (before["days_to_renewal"], after["days_to_renewal"]) == (19, 18)
    # Tenure from 10 Jan: 21 days of January + 20 of February.
    assert after["tenure_days"] == 41
    assert mrr(warehouse, "acct_upgrade", date(2026, 4, 24)) == D("600.00")
    # Downgrade on 25 Apr to 8 seats: 480.00.
    apr25 = day(warehouse, "acct_upgrade", date(2026, 4, 25))
    assert (apr25["mrr"], apr25["licensed_seats"]) == (D("480.00"), 8)
    # 90 days before 31 May is 2 Mar (-29 in May's 31, April's 30, March's 31): 600.00 then.
    may31 = day(warehouse, "acct_upgrade", date(2026, 5, 31))
    assert (may31["mrr_90d_ago"], may31["mrr_change_90d"]) == (D("600.00"), D("-120.00"))


def test_a_cancellation_counts_nothing_from_the_day_it_ended(warehouse):
    assert mrr(warehouse, "acct_return", date(2026, 2, 19)) == D("100.00")
    gone = day(warehouse, "acct_return", date(2026, 3, 15))
    # Nothing in force: no seats, the plan last seen, not active.
    assert (gone["mrr"], gone["licensed_seats"], gone["plan_name"], gone["is_active"]) == (
        D("0.00"),
        None,
        "starter",
        False,
    )
    assert gone["days_to_renewal"] is None
    assert mrr(warehouse, "acct_return", date(2026, 2, 20)) == D("0.00")
    assert mrr(warehouse, "acct_return", date(2026, 4, 15)) == D("100.00")


def test_a_trial_contributes_nothing(warehouse):
    jun30 = day(warehouse, "acct_trial", date(2026, 6, 30))
    assert (jun30["mrr"], jun30["is_active"], jun30["is_trialing"]) == (D("0.00"), False, True)
    assert (jun30["licensed_seats"], jun30["plan_name"], jun30["days_to_renewal"]) == (3, "growth", 1)
    assert query(warehouse, "select count(*) from marts.mrr_movements where account_id = 'acct_trial'") == [
        (0,)
    ]


def test_lifetime_value_counts_paid_invoices_only(warehouse):
    # d1 on 1 Jan: 100.00; d2 paid on 4 Feb: 200.00; d3 (written off, 40.00 paid), d4 (open) and
    # d5 (void) add nothing; d6 paid 1 May: 300.00; d7 open: still 300.00.
    ltv = {
        d: day(warehouse, "acct_payer", d)["lifetime_value"]
        for d in map(
            date.fromisoformat,
            ["2026-01-01", "2026-02-03", "2026-02-04", "2026-04-30", "2026-05-01", "2026-06-30"],
        )
    }
    assert list(ltv.values()) == [
        D("100.00"),
        D("100.00"),
        D("200.00"),
        D("200.00"),
        D("300.00"),
        D("300.00"),
    ]


@pytest.mark.parametrize(
    ("on", "failed", "past_due", "days_past_due"),
    [
        # d2 due 1 Feb, its first attempt failed, paid by a retry on 4 Feb.
        ("2026-02-01", 1, 0, 0),
        ("2026-02-03", 1, 1, 2),
        ("2026-02-04", 0, 0, 0),
        # d3 due 1 Mar, written off: 14 days past due on 15 Mar.
        ("2026-03-15", 1, 1, 14),
        # 10 Apr: d3 (40 days) and d4 (due 1 Apr, 9 days); d5 is void.
        ("2026-04-10", 2, 2, 40),
        # 1 May: d6 paid, so the written-off d3 is history; d4 is 30 days past due.
        ("2026-05-01", 2, 1, 30),
        # 30 May is 90 days after 1 Mar: d3 leaves the failed count on 30 May.
        ("2026-05-29", 2, 1, 58),
        ("2026-05-30", 1, 1, 59),
        # 20 Jun: d4 (80 days) and d7 (due 15 Jun by its terms, 5 days; never attempted, not failed).
        ("2026-06-20", 1, 2, 80),
        # 30 Jun is 90 days after 1 Apr.
        ("2026-06-30", 0, 2, 90),
    ],
)
def test_failed_and_past_due_invoices(warehouse, on, failed, past_due, days_past_due):
    got = day(warehouse, "acct_payer", date.fromisoformat(on))
    assert (got["failed_invoices_90d"], got["open_past_due_invoices"], got["days_past_due"]) == (
        failed,
        past_due,
        days_past_due,
    )


def test_movements_per_account_and_month(warehouse):
    rows = query(
        warehouse,
        "select account_id, month, previous_mrr, mrr, mrr_change, movement from marts.mrr_movements "
        "where account_id in ('acct_norm', 'acct_upgrade', 'acct_return') order by 1, 2",
    )
    got = {(a, m.month): (prev, cur, chg, mv) for a, m, prev, cur, chg, mv in rows}
    z, hundred = D("0.00"), D("100.00")
    assert got == {
        # Already at 120.00 at the end of December, before the history: unchanged, not new.
        **{("acct_norm", m): (D("120.00"), D("120.00"), z, "unchanged") for m in range(1, 7)},
        ("acct_upgrade", 1): (z, D("350.00"), D("350.00"), "new"),
        ("acct_upgrade", 2): (D("350.00"), D("600.00"), D("250.00"), "expansion"),
        ("acct_upgrade", 3): (D("600.00"), D("600.00"), z, "unchanged"),
        ("acct_upgrade", 4): (D("600.00"), D("480.00"), D("-120.00"), "contraction"),
        ("acct_upgrade", 5): (D("480.00"), D("480.00"), z, "unchanged"),
        ("acct_upgrade", 6): (D("480.00"), D("480.00"), z, "unchanged"),
        # New in January, churned in February, no row for March (0 -> 0), back in April.
        ("acct_return", 1): (z, hundred, hundred, "new"),
        ("acct_return", 2): (hundred, z, -hundred, "churn"),
        ("acct_return", 4): (z, hundred, hundred, "reactivation"),
        ("acct_return", 5): (hundred, hundred, z, "unchanged"),
        ("acct_return", 6): (hundred, hundred, z, "unchanged"),
    }


def test_movements_add_up_to_the_change_in_total_mrr(warehouse):
    eur = (D("100") * eur_rate()).quantize(D("0.01"))
    # Month-end totals: norm 120 + upgrade + return + payer 100 + eur; December: norm's 120 only.
    expected_totals = {
        1: D("120") + D("350") + D("100") + D("100") + eur,
        2: D("120") + D("600") + D("0") + D("100") + eur,
        3: D("120") + D("600") + D("0") + D("100") + eur,
        4: D("120") + D("480") + D("100") + D("100") + eur,
        5: D("120") + D("480") + D("100") + D("100") + eur,
        6: D("120") + D("480") + D("100") + D("100") + eur,
    }
    daily = dict(
        query(
            warehouse,
            "select month(date), sum(mrr) from marts.mrr_daily "
            f"where (day(date + interval 1 day) = 1 or date = '2026-06-30') and {SHAPES} group by 1",
        )
    )
    assert daily == expected_totals
    changes = dict(
        query(
            warehouse,
            f"select month(month), sum(mrr_change) from marts.mrr_movements where {SHAPES} group by 1",
        )
    )
    previous = {1: D("120"), **{m: expected_totals[m - 1] for m in range(2, 7)}}
    assert changes == {m: expected_totals[m] - previous[m] for m in range(1, 7)}


def test_a_window_run_rebuilds_only_its_days_from_history_outside_it(warehouse):
    before = query(warehouse, "select * from intermediate.int_account_revenue_daily order by 1, 2")
    dbt_build(warehouse, "int_account_revenue_daily", {"min_date": "2026-05-01", "max_date": "2026-06-01"})
    after = query(warehouse, "select * from intermediate.int_account_revenue_daily order by 1, 2")
    # Same rows, no duplicates; 31 May still sees 2 Mar (outside the window) for its 90-day look-back.
    assert after == before
    assert day(warehouse, "acct_upgrade", date(2026, 5, 31))["mrr_90d_ago"] == D("600.00")


def test_mrr_is_net_of_discounts_and_without_tax(warehouse):
    assert mrr(warehouse, "shape_net", date(2026, 1, 15)) == D("60.00")
    # After the last invoice, the current item at its list price keeps the discount: 100 x 60 %.
    assert mrr(warehouse, "shape_net", date(2026, 2, 15)) == D("60.00")


def test_tiered_and_metered_items_are_priced_not_dropped(warehouse):
    assert mrr(warehouse, "shape_tiered", date(2026, 1, 15)) == D("166.00")
    assert mrr(warehouse, "shape_tiered", date(2026, 2, 15)) == D("166.00")
    assert mrr(warehouse, "shape_metered", date(2026, 1, 15)) == D("43.20")
    assert mrr(warehouse, "shape_metered", date(2026, 2, 15)) == D("43.20")


def test_lines_without_their_interval_take_their_prices_and_one_offs_never_count(warehouse):
    assert mrr(warehouse, "shape_basil", date(2026, 1, 15)) == D("175.00")
    assert mrr(warehouse, "shape_basil", date(2026, 2, 9)) == D("175.00")
    # The proration charge matched to the item by its price: an upgrade, not a second item.
    feb10 = day(warehouse, "shape_basil", date(2026, 2, 10))
    assert (feb10["mrr"], feb10["licensed_seats"], feb10["plan_name"]) == (D("300.00"), 5, "enterprise")
    resolved = query(
        warehouse,
        "select line_item_id, subscription_item_id, billing_interval "
        "from intermediate.int_invoice_line_items "
        "where invoice_id = 'in_basil_feb' order by period_start, amount_minor",
    )
    assert [(si, interval) for _, si, interval in resolved] == [
        ("si_s_basil", "month"),  # the regular line (growth: interval from its item)
        (None, None),  # the set-up fee: no item carries its price, no interval anywhere
        ("si_s_basil", "month"),  # the proration charge, matched by price
    ]


def test_a_deleted_customers_subscription_ends_with_its_last_invoiced_period(warehouse):
    assert mrr(warehouse, "shape_deleted", date(2026, 2, 28)) == D("50.00")
    assert mrr(warehouse, "shape_deleted", date(2026, 3, 1)) == D("0.00")


def test_a_mid_period_change_dated_later_restates_the_days_it_changed_and_no_other_account(tmp_path):
    """An annual plan's seats change on 15 Feb; the first build cannot know it (the item says 33, the
    year's line 30), the invoice of 10 Mar dates it with its prorations. The next day's run rebuilds
    every day of that account, and only of that one: MRR is the same as a build from nothing would say."""
    w = World()
    w.rows["intercom_events"] = [{"event_id": "e1", "event_name": "logged-in", "occurred_at": month(1, 1)}]
    # 30 seats x 600.00 a year = 1500.00 a month; 33 seats = 1650.00.
    w.customer("acct_annual")
    w.subscription("s_annual", "acct_annual", month(1, 1), month(1, 1, y=2027))
    w.item("s_annual", "enterprise", 60000, 33, "year")
    w.billed(
        "acct_annual", "s_annual", "enterprise", 60000, 30, month(1, 1), month(1, 1, y=2027), interval="year"
    )
    # A monthly account the late invoice does not concern: 10 x 35.00.
    w.customer("acct_monthly")
    w.subscription("s_monthly", "acct_monthly", month(1, 5), month(3, 5))
    w.item("s_monthly", "growth", 3500, 10)
    for start, end in [(month(1, 5), month(2, 5)), (month(2, 5), month(3, 5))]:
        w.billed("acct_monthly", "s_monthly", "growth", 3500, 10, start, end)
    path = land_scenario(tmp_path, w.rows)
    models = "+mrr_daily +mrr_movements +int_account_billing_fingerprints"
    dbt_build(path, "", {"min_date": "2026-03-09", "max_date": "2026-03-10"}, select=models)
    assert mrr(path, "acct_annual", date(2026, 2, 20)) == D("1500.00")  # what could be known then
    before = query(
        path, "select * from intermediate.int_account_revenue_daily where account_id = 'acct_monthly'"
    )

    # 10 Mar: the invoice carrying the prorations of 15 Feb (credit for 30 seats, charge for 33).
    changed = month(2, 15, h=9)
    w.invoice("in_prorations", "acct_annual", "s_annual", month(3, 10), 0)
    for quantity, amount in ((30, -1), (33, 1)):
        w.line("in_prorations", "s_annual", "enterprise", 60000, quantity, changed, month(1, 1, y=2027),
               interval="year", proration=True, amount=amount * 100)  # fmt: skip
    land_scenario(tmp_path, w.rows)
    dbt_build(path, "", {"min_date": "2026-03-10", "max_date": "2026-03-11"}, select=models)
    # The movements (rebuilt whole) and the daily MRR agree again: the tests that caught it on the
    # medium benchmark's next day.
    run_dbt(path, ["test", "--select", "assert_mrr_movements_match_mrr_daily assert_mrr_movements_add_up"])

    assert mrr(path, "acct_annual", date(2026, 2, 14)) == D("1500.00")
    assert mrr(path, "acct_annual", date(2026, 2, 15)) == D("1650.00")  # restated: outside the run's day
    assert mrr(path, "acct_annual", date(2026, 3, 10)) == D("1650.00")
    rows = query(
        path, "select count(*), count(distinct as_of_date) from intermediate.int_account_revenue_daily"
    )
    assert rows[0][0] == 2 * rows[0][1] - 4  # one row per account-day (acct_monthly from 5 Jan), no duplicate
    after = query(
        path, "select * from intermediate.int_account_revenue_daily where account_id = 'acct_monthly'"
    )
    assert after[: len(before)] == before
    # The published MRR, rebuilt for the run's day and the restated account's days only, says the same
    published = dict(query(path, "select date, mrr from marts.mrr_daily where account_id = 'acct_annual'"))
    assert published[date(2026, 2, 14)] == D("1500.00") and published[date(2026, 2, 15)] == D("1650.00")
    assert query(
        path,
        """select count(*) from marts.mrr_daily as published
           full outer join intermediate.int_account_revenue_daily as revenue
               on published.account_id = revenue.account_id and published.date = revenue.as_of_date
           where published.mrr is distinct from cast(revenue.mrr as decimal(18, 2))""",
    ) == [(0,)]
