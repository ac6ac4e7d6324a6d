"""MRR of one Stripe subscription object: the rules, pure and storage-free.

The rules follow Stripe's and ChartMogul's published definitions (they are shown on the
Revenue page, see `RULES`). Everything here works on the subscription object exactly as
Stripe sends it in `customer.subscription.*` events or `GET /v1/subscriptions`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any

from engine.revenue.money import CONTEXT, ZERO, minor_to_major, to_micro

CONTRIBUTING = frozenset({"active", "past_due"})
INTERVALS = ("day", "week", "month", "year")

RULES = """\
- **Which subscriptions count.** A subscription contributes while its status is `active` or
  `past_due`; `trialing`, `incomplete`, `incomplete_expired`, `unpaid`, `paused` and
  `canceled` contribute nothing. Its state at a moment is the object of its latest Stripe
  event created at or before that moment, whatever order the events arrived in.
- **Each item** is price × quantity, normalised to a month: monthly ÷ interval count, yearly
  ÷ (12 × count), weekly × 52 ÷ 12 ÷ count, daily × 365 ÷ 12 ÷ count. Tiered prices (volume
  or graduated) are priced from their tiers for the quantity; metered items are left out.
- **Discounts** reduce MRR only when the coupon lasts `forever`: `percent_off` scales it,
  `amount_off` (per invoice) is normalised like the price, never below 0. Discounts are read
  from `discounts` (expanded objects) when present, else from `discount`, never both.
  Taxes are never part of MRR.
- **Currencies.** Amounts are in the currency's minor unit (zero-decimal currencies such as
  JPY are whole units). Figures are shown in the reporting currency at the rate of the day
  (the latest rate on or before it); a missing rate is an error, never 1.0.
- **Movements, per customer** (the sum of their subscriptions), in time order: from 0 to
  more than 0 is **new** the first time and **reactivation** after; up is **expansion**;
  down but above 0 is **contraction** (cancelling one of two subscriptions is contraction);
  down to 0 is **churn**. Changes at the same second are netted. A subscription set to
  cancel at period end churns when the period ends, not when the cancellation is scheduled.
- **FX.** Movements are valued at the rate of their day; the change in value of the rest
  of MRR from rate moves is reported as **fx**, never as expansion or contraction, so each
  period's start + new + expansion + reactivation − contraction − churn + fx = end.
- **Rounding.** Everything is computed in full precision; money is rounded to cents only
  when shown, with the parts of the identity kept adding up to the cent.
"""


class SubscriptionError(ValueError):
    """The object cannot be priced by the rules (the message names the field)."""


@dataclass(frozen=True)
class Subscription:
    """What the rules read from one subscription object at one moment."""

    id: str
    customer_id: str
    status: str
    currency: str
    mrr_micro: int  # contribution in micro-units of `currency`; 0 unless the status counts
    plans: dict[str, int] = field(default_factory=dict)  # plan label → micro, sums to mrr
    ends_at: int | None = None  # epoch s: a scheduled cancellation takes effect here
    trial_end: int | None = None

    @property
    def contributes(self) -> bool:
        return self.mrr_micro > 0


def _dec(value: Any, what: str) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise SubscriptionError(f"{what} is missing or not a number")
    try:
        result = Decimal(str(value))
    except ArithmeticError:
        raise SubscriptionError(f"{what} is not a number: {value!r}") from None
    if not result.is_finite():
        raise SubscriptionError(f"{what} is not a finite number: {value!r}")
    return result


def _id(value: Any) -> str | None:
    """An object id whether the field is a plain id or an expanded object."""
    if isinstance(value, Mapping):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


@lru_cache(maxsize=256)
def monthly_factor(interval: str, count: int) -> Decimal:
    """Multiplier that turns one billing period's amount into a month's."""
    if interval not in INTERVALS:
        raise SubscriptionError(f"recurring.interval {interval!r} is not one of {INTERVALS}")
    if count < 1:
        raise SubscriptionError(f"recurring.interval_count must be ≥ 1, got {count}")
    per_year = {"day": 365, "week": 52, "month": 12, "year": 1}[interval]
    return CONTEXT.divide(Decimal(per_year), Decimal(12 * count))


def _amount(obj: Mapping[str, Any], key: str) -> Decimal | None:
    """`<key>_decimal` (more precise) when present, else `<key>`; None when neither."""
    precise = obj.get(f"{key}_decimal")
    if precise is not None:
        return _dec(precise, f"{key}_decimal")
    plain = obj.get(key)
    return None if plain is None else _dec(plain, key)


def tiered_amount(tiers: list[Mapping[str, Any]], mode: str, quantity: Decimal) -> Decimal:
    """Amount (minor units) of `quantity` under Stripe tiers.

    Volume: every unit at the price of the tier the total falls in, plus that tier's flat
    amount. Graduated: each tier prices the units that fall in it, plus its flat amount if
    any unit does. A quantity of 0 costs nothing in either mode.
    """
    if not tiers:
        raise SubscriptionError("tiered price has no `tiers` (Stripe sends them when expanded)")
    if quantity <= 0:
        return ZERO

    def bound(tier: Mapping[str, Any]) -> Decimal | None:
        up_to = tier.get("up_to")
        return None if up_to in (None, "inf") else _dec(up_to, "tiers.up_to")

    def unit(tier: Mapping[str, Any]) -> Decimal:
        return _amount(tier, "unit_amount") or ZERO

    def flat(tier: Mapping[str, Any]) -> Decimal:
        return _amount(tier, "flat_amount") or ZERO

    if mode == "volume":
        for tier in tiers:
            top = bound(tier)
            if top is None or quantity <= top:
                return quantity * unit(tier) + flat(tier)
        raise SubscriptionError(f"quantity {quantity} is above the last tier")
    if mode == "graduated":
        total, below = ZERO, ZERO
        for tier in tiers:
            top = bound(tier)
            upper = quantity if top is None else min(quantity, top)
            units = upper - below
            if units > 0:
                total += units * unit(tier) + flat(tier)
            if top is None or quantity <= top:
                return total
            below = top
        raise SubscriptionError(f"quantity {quantity} is above the last tier")
    raise SubscriptionError(f"tiers_mode {mode!r} is not volume or graduated")


def _quantity(item: Mapping[str, Any], price: Mapping[str, Any]) -> Decimal:
    raw = item.get("quantity")
    quantity = Decimal(1) if raw is None else _dec(raw, "quantity")
    transform = price.get("transform_quantity")
    if isinstance(transform, Mapping) and transform.get("divide_by"):
        divided = CONTEXT.divide(quantity, _dec(transform["divide_by"], "divide_by"))
        rounding = "ROUND_UP" if transform.get("round") == "up" else "ROUND_DOWN"
        quantity = divided.to_integral_value(rounding=rounding)
    return quantity


def _plan_label(price: Mapping[str, Any]) -> str:
    """Nickname, else product name (when expanded), else product or price id."""
    if price.get("nickname"):
        return str(price["nickname"])
    product = price.get("product")
    if isinstance(product, Mapping) and product.get("name"):
        return str(product["name"])
    return str(_id(product) or price.get("id") or "unknown")


def _price_of(item: Mapping[str, Any]) -> Mapping[str, Any]:
    """The item's price; the legacy `plan` object maps onto the same fields."""
    price = item.get("price")
    if isinstance(price, Mapping):
        return price
    plan = item.get("plan")
    if isinstance(plan, Mapping):
        recurring = {
            "interval": plan.get("interval"),
            "interval_count": plan.get("interval_count", 1),
            "usage_type": plan.get("usage_type", "licensed"),
        }
        return {
            "id": plan.get("id"),
            "nickname": plan.get("nickname"),
            "product": plan.get("product"),
            "unit_amount": plan.get("amount"),
            "unit_amount_decimal": plan.get("amount_decimal"),
            "billing_scheme": plan.get("billing_scheme", "per_unit"),
            "tiers": plan.get("tiers"),
            "tiers_mode": plan.get("tiers_mode"),
            "transform_quantity": plan.get("transform_usage"),
            "recurring": recurring,
        }
    raise SubscriptionError("subscription item has neither `price` nor `plan`")


_ITEM_CACHE: dict[tuple[Any, ...], tuple[str, Decimal, Decimal] | None] = {}
_ITEM_CACHE_SIZE = 4096


def item_mrr(item: Mapping[str, Any], currency: str) -> tuple[str, Decimal, Decimal] | None:
    """(plan label, MRR in major units, monthly factor) of one item; None when metered.

    Imports see the same few prices over and over, so per-unit results are memoised on
    every field that affects them (tiered prices are always recomputed).
    """
    price = item.get("price")
    key = None
    if isinstance(price, Mapping) and not price.get("tiers"):
        recurring = price.get("recurring")
        if isinstance(recurring, Mapping):
            product = price.get("product")
            key = (
                currency,
                item.get("quantity"),
                price.get("id"),
                price.get("unit_amount"),
                price.get("unit_amount_decimal"),
                price.get("billing_scheme"),
                price.get("nickname"),
                product.get("name") if isinstance(product, Mapping) else product,
                repr(price.get("transform_quantity")),
                recurring.get("interval"),
                recurring.get("interval_count"),
                recurring.get("usage_type"),
            )
            if key in _ITEM_CACHE:
                return _ITEM_CACHE[key]
    result = _item_mrr(item, currency)
    if key is not None:
        if len(_ITEM_CACHE) >= _ITEM_CACHE_SIZE:
            _ITEM_CACHE.clear()
        _ITEM_CACHE[key] = result
    return result


def _item_mrr(item: Mapping[str, Any], currency: str) -> tuple[str, Decimal, Decimal] | None:
    price = _price_of(item)
    recurring = price.get("recurring")
    if not isinstance(recurring, Mapping):
        raise SubscriptionError(f"price {price.get('id')} has no `recurring` interval")
    if recurring.get("usage_type") == "metered":
        return None
    factor = monthly_factor(
        str(recurring.get("interval")), int(_dec(recurring.get("interval_count", 1), "count"))
    )
    quantity = _quantity(item, price)
    if price.get("billing_scheme") == "tiered":
        tiers = price.get("tiers") or []
        per_period = tiered_amount(tiers, str(price.get("tiers_mode")), quantity)
    else:
        unit = _amount(price, "unit_amount")
        if unit is None:
            raise SubscriptionError(f"price {price.get('id')} has no unit_amount")
        per_period = unit * quantity
    return _plan_label(price), minor_to_major(per_period * factor, currency), factor


def forever_coupons(sub: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Coupons of the subscription's discounts that last forever.

    `discounts` (expanded objects) wins when it holds any; else the older `discount`.
    A discount's coupon is `discount.coupon` or, in newer API versions,
    `discount.source.coupon`.
    """
    expanded = [d for d in sub.get("discounts") or [] if isinstance(d, Mapping)]
    if not expanded and isinstance(sub.get("discount"), Mapping):
        expanded = [sub["discount"]]
    coupons = []
    for discount in expanded:
        coupon = discount.get("coupon")
        if not isinstance(coupon, Mapping):
            source = discount.get("source")
            coupon = source.get("coupon") if isinstance(source, Mapping) else None
        if isinstance(coupon, Mapping) and coupon.get("duration") == "forever":
            coupons.append(coupon)
    return coupons


def apply_coupons(
    mrr: Decimal, coupons: list[Mapping[str, Any]], currency: str, factor: Decimal
) -> Decimal:
    """MRR after forever coupons, in order; an amount off per invoice is normalised by
    the subscription's billing interval, and MRR never drops below 0."""
    for coupon in coupons:
        if coupon.get("percent_off") is not None:
            pct = _dec(coupon["percent_off"], "coupon.percent_off")
            mrr = mrr * (1 - pct / 100)
        elif coupon.get("amount_off") is not None:
            amount = _dec(coupon["amount_off"], "coupon.amount_off")
            coupon_ccy = str(coupon.get("currency") or currency).upper()
            if coupon_ccy != currency:
                options = coupon.get("currency_options") or {}
                option = options.get(currency.lower()) if isinstance(options, Mapping) else None
                if not isinstance(option, Mapping) or option.get("amount_off") is None:
                    continue  # Stripe would not apply a coupon in another currency
                amount = _dec(option["amount_off"], "coupon.currency_options.amount_off")
            mrr = mrr - minor_to_major(amount * factor, currency)
        mrr = max(mrr, ZERO)
    return mrr


def _items(sub: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    items = sub.get("items")
    if isinstance(items, Mapping):
        data = items.get("data")
        if isinstance(data, list):
            return [i for i in data if isinstance(i, Mapping)]
    if isinstance(sub.get("plan"), Mapping):  # very old single-plan subscriptions
        return [{"plan": sub["plan"], "quantity": sub.get("quantity", 1)}]
    return []


def _epoch(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise SubscriptionError(f"timestamp {value!r} is not epoch seconds") from None


def _scheduled_end(sub: Mapping[str, Any], items: list[Mapping[str, Any]]) -> int | None:
    """When a scheduled cancellation takes effect: `cancel_at`, else the period end."""
    cancel_at = _epoch(sub.get("cancel_at"))
    if cancel_at is not None:
        return cancel_at
    if not sub.get("cancel_at_period_end"):
        return None
    period_end = _epoch(sub.get("current_period_end"))
    if period_end is None:  # API ≥ 2025-03-31 keeps the period on the items
        ends = [e for i in items if (e := _epoch(i.get("current_period_end"))) is not None]
        period_end = max(ends) if ends else None
    return period_end


def _allocate(total: int, parts: dict[str, Decimal]) -> dict[str, int]:
    """Split `total` micro across plans in proportion to their undiscounted MRR."""
    if len(parts) == 1:
        return {label: total for label in parts} if total else {}
    whole = sum(parts.values(), ZERO)
    if total == 0 or whole == 0:
        return {}
    out = {label: int(CONTEXT.divide(value * total, whole)) for label, value in parts.items()}
    biggest = max(parts, key=lambda label: parts[label])
    out[biggest] += total - sum(out.values())
    return {label: micro for label, micro in out.items() if micro}


def parse_subscription(sub: Mapping[str, Any]) -> Subscription:
    """Apply the MRR rules to one subscription object."""
    sub_id = _id(sub)
    if not sub_id:
        raise SubscriptionError("subscription has no `id`")
    customer = _id(sub.get("customer"))
    if not customer:
        raise SubscriptionError(f"subscription {sub_id} has no `customer`")
    status = str(sub.get("status") or "")
    if not status:
        raise SubscriptionError(f"subscription {sub_id} has no `status`")
    items = _items(sub)
    currency = str(sub.get("currency") or "").upper()
    if not currency:
        prices = [_price_of(i) for i in items]
        currency = next((str(p["currency"]).upper() for p in prices if p.get("currency")), "")
    if len(currency) != 3:
        raise SubscriptionError(f"subscription {sub_id} has no 3-letter `currency`")
    trial_end = _epoch(sub.get("trial_end"))
    if status not in CONTRIBUTING:
        return Subscription(sub_id, customer, status, currency, 0, {}, None, trial_end)
    plans: dict[str, Decimal] = {}
    factor: Decimal | None = None
    for item in items:
        priced = item_mrr(item, currency)
        if priced is None:
            continue
        label, mrr, item_factor = priced
        plans[label] = plans.get(label, ZERO) + mrr
        factor = factor if factor is not None else item_factor
    gross = sum(plans.values(), ZERO)
    coupons = forever_coupons(sub)
    net = apply_coupons(gross, coupons, currency, factor) if coupons and factor else gross
    total = to_micro(net)
    return Subscription(
        sub_id,
        customer,
        status,
        currency,
        total,
        _allocate(total, plans),
        _scheduled_end(sub, items),
        trial_end,
    )
