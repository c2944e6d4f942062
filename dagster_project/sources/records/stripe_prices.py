"""Stripe prices: what a subscription item bills per interval, from its unit amount or its tiers.

Stripe prices come in three shapes that matter for MRR:

- **per unit** (``billing_scheme: per_unit``): ``unit_amount`` (or the
  sub-cent ``unit_amount_decimal``) times the billed quantity;
- **tiered** (``billing_scheme: tiered``) with ``tiers_mode`` ``volume`` (every
  unit at the price of the tier the whole quantity falls in, plus that tier's
  flat fee) or ``graduated`` (each unit at the price of the tier it falls in,
  plus the flat fee of every tier reached). Stripe includes ``tiers`` only
  when asked (``expand[]=data.tiers`` on ``GET /v1/prices``), so an item's
  embedded price may lack them: the directory's price catalogue fills them;
- **metered** (``recurring.usage_type: metered``): billed on reported usage,
  so the price alone says nothing; MRR then comes from the last invoiced
  period (dbt).

``transform_quantity`` divides the quantity before billing (per 1,000 API
calls, say), rounding up or down. Amounts are in minor units; a fractional
result is rounded half up, as an invoice would show it.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

from .fields import Id, Int, Model, show


def _decimal(value: Any) -> Any:
    # Stripe sends *_decimal fields as strings ("2000", "0.5"); a number is accepted as is.
    if value is None or isinstance(value, Decimal):
        return value
    number = None
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            number = None
    if number is None or not number.is_finite():
        raise PydanticCustomError("decimal", "not a decimal number (got {got})", {"got": show(value)})
    return number


DecimalText = Annotated[Decimal, BeforeValidator(_decimal)]
"""A decimal amount sent as text (``unit_amount_decimal``)."""


def expandable(value: Any) -> Any:
    # Stripe sends a related object as its id unless it was expanded.
    if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
        return {"id": value}
    return value


class Product(Model):
    id: Id
    name: str | None = None


ProductRef = Annotated[Product, BeforeValidator(expandable)]


class Tier(Model):
    # The last tier's ``up_to`` is null (Stripe's "inf").
    up_to: Int | None = None
    unit_amount: Int | None = None
    unit_amount_decimal: DecimalText | None = None
    flat_amount: Int | None = None
    flat_amount_decimal: DecimalText | None = None

    @property
    def unit(self) -> Decimal:
        return _amount(self.unit_amount, self.unit_amount_decimal) or Decimal(0)

    @property
    def flat(self) -> Decimal:
        return _amount(self.flat_amount, self.flat_amount_decimal) or Decimal(0)


class TransformQuantity(Model):
    divide_by: Int = Field(gt=0)
    round: Literal["up", "down"]


class Recurring(Model):
    interval: Literal["day", "week", "month", "year"]
    interval_count: Int
    usage_type: Literal["licensed", "metered"] | None = None


class Price(Model):
    """A recurring price as a subscription item embeds it (or ``GET /v1/prices`` lists it)."""

    id: Id
    product: ProductRef | None = None
    nickname: str | None = None
    currency: str
    recurring: Recurring
    billing_scheme: Literal["per_unit", "tiered"] | None = None
    unit_amount: Int | None = None
    unit_amount_decimal: DecimalText | None = None
    tiers_mode: Literal["graduated", "volume"] | None = None
    tiers: list[Tier] | None = None
    transform_quantity: TransformQuantity | None = None

    @property
    def is_metered(self) -> bool:
        return self.recurring.usage_type == "metered"

    @property
    def is_tiered(self) -> bool:
        return self.billing_scheme == "tiered"

    def unit_amount_minor(self) -> int | None:
        """The per-unit price in whole minor units, when it is one (null for tiers and sub-cent prices)."""
        if self.unit_amount is not None:
            return self.unit_amount
        return whole_minor_units(self.unit_amount_decimal)


def whole_minor_units(amount: Decimal | None) -> int | None:
    """A decimal amount as an int when it is a whole number of minor units, else None."""
    if amount is None or amount != amount.to_integral():
        return None
    return int(amount)


def _amount(whole: int | None, decimal: Decimal | None) -> Decimal | None:
    if whole is not None:
        return Decimal(whole)
    return decimal


def billed_quantity(quantity: int, transform: TransformQuantity | None) -> int:
    """The quantity Stripe bills: ``quantity / divide_by``, rounded as the price says."""
    if transform is None:
        return quantity
    exact = quantity / transform.divide_by
    return math.ceil(exact) if transform.round == "up" else math.floor(exact)


def tiered_amount(tiers: list[Tier], mode: str | None, quantity: int) -> Decimal:
    """What ``quantity`` units cost under ``tiers`` (ordered by ``up_to``, the last one open-ended)."""
    if mode == "volume":
        tier = next((t for t in tiers if t.up_to is None or quantity <= t.up_to), tiers[-1])
        return tier.unit * quantity + tier.flat
    total = Decimal(0)
    floor = 0
    for tier in tiers:
        if quantity <= floor:
            break
        ceiling = quantity if tier.up_to is None else min(quantity, tier.up_to)
        total += tier.unit * (ceiling - floor) + tier.flat
        floor = ceiling
    return total


def amount_per_interval(price: Price, quantity: int) -> int | None:
    """What an item of ``quantity`` units bills each interval, in minor units; None when the price
    alone cannot say (metered usage, or tiers that were not expanded)."""
    if price.is_metered:
        return None
    units = billed_quantity(quantity, price.transform_quantity)
    if price.is_tiered:
        if not price.tiers:
            return None
        amount = tiered_amount(price.tiers, price.tiers_mode, units)
    else:
        unit = _amount(price.unit_amount, price.unit_amount_decimal)
        if unit is None:
            return None
        amount = unit * units
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))
