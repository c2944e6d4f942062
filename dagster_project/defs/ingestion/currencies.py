"""Every billing currency needs a rate in seeds/currency_rates.csv, checked as soon as billing lands.

Money in a currency without a rate would drop out of MRR and lifetime value, and dbt's test of it names
neither the currency nor the records. This check runs in the landing step, before any dbt model: it
names each currency, where it was seen, a few of its invoices, and the seed to edit.
"""

from __future__ import annotations

import csv
from pathlib import Path

from dagster_project.defs.dbt.project import DBT_DIR
from dagster_project.warehouse.engines import Session

CURRENCY_SEED = DBT_DIR.parent / "seeds" / "currency_rates.csv"
# The raw tables that hold billing money, with the column naming a record of each in a message.
BILLING_CURRENCIES = {
    "stripe_invoices": "invoice_id",
    "stripe_invoice_line_items": "invoice_id",
    "stripe_subscription_items": "subscription_id",
    "stripe_customers": "customer_id",
}
EXAMPLES = 3


class UnknownCurrencyError(RuntimeError):
    """Billing in a currency the seed has no rate for."""


def rated_currencies(seed: Path = CURRENCY_SEED) -> set[str]:
    with seed.open(newline="", encoding="utf-8") as handle:
        return {row["currency"].strip().lower() for row in csv.DictReader(handle) if row.get("currency")}


def check_currencies(session: Session, seed: Path = CURRENCY_SEED) -> None:
    """UnknownCurrencyError naming every billing currency of ``raw`` without a rate in ``seed``."""
    rated = rated_currencies(seed)
    missing: dict[str, dict[str, list[str]]] = {}
    for table, record in BILLING_CURRENCIES.items():
        seen = session.fetchall(
            f"select distinct lower(currency) from raw.{table} where currency is not null"
        )
        for (currency,) in seen:
            if currency in rated:
                continue
            examples = session.fetchall(
                f"select distinct {record} from raw.{table} where lower(currency) = ? order by 1 "
                f"limit {EXAMPLES + 1}",
                [currency],
            )
            missing.setdefault(currency, {})[table] = [key for (key,) in examples]
    if not missing:
        return
    parts = []
    for currency, tables in sorted(missing.items()):
        where = "; ".join(
            f"{table} {', '.join(keys[:EXAMPLES])}{' and more' if len(keys) > EXAMPLES else ''}"
            for table, keys in tables.items()
        )
        parts.append(f"{currency.upper()} ({where})")
    raise UnknownCurrencyError(
        f"billing in {len(missing)} currenc{'y' if len(missing) == 1 else 'ies'} with no rate: "
        f"{'; '.join(parts)}. Add a row per currency to {CURRENCY_SEED.relative_to(DBT_DIR.parent)} "
        "(currency, units_of_reporting_currency_per_unit, minor_units_per_unit) and run again; no dbt "
        "model was built."
    )
