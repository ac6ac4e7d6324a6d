"""Builders for Stripe-shaped objects and events, as Stripe sends them (minor units)."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from engine.periods import Period

_ids = itertools.count(1)


def ts(day: str, hour: int = 12, minute: int = 0) -> int:
    """Epoch seconds of `day` at `hour`:`minute` UTC."""
    return int(datetime.combine(date.fromisoformat(day), time(hour, minute), UTC).timestamp())


def period(first: str, last: str, tz: str = "UTC") -> Period:
    return Period.from_days(date.fromisoformat(first), date.fromisoformat(last), ZoneInfo(tz))


def price(
    amount: int | None,
    interval: str = "month",
    count: int = 1,
    *,
    currency: str = "usd",
    nickname: str | None = None,
    usage_type: str = "licensed",
    tiers: list[dict[str, Any]] | None = None,
    tiers_mode: str | None = None,
    price_id: str | None = None,
) -> dict[str, Any]:
    return {
        "id": price_id or f"price_{next(_ids)}",
        "object": "price",
        "currency": currency,
        "nickname": nickname,
        "product": "prod_1",
        "unit_amount": amount,
        "unit_amount_decimal": None if amount is None else str(amount),
        "billing_scheme": "tiered" if tiers else "per_unit",
        "tiers": tiers,
        "tiers_mode": tiers_mode,
        "recurring": {"interval": interval, "interval_count": count, "usage_type": usage_type},
    }


def item(p: dict[str, Any], quantity: int | None = 1) -> dict[str, Any]:
    out: dict[str, Any] = {"id": f"si_{next(_ids)}", "object": "subscription_item", "price": p}
    if quantity is not None:
        out["quantity"] = quantity
    return out


def coupon(
    duration: str = "forever",
    *,
    percent_off: float | None = None,
    amount_off: int | None = None,
    currency: str | None = None,
) -> dict[str, Any]:
    return {
        "id": f"co_{next(_ids)}",
        "object": "coupon",
        "duration": duration,
        "percent_off": percent_off,
        "amount_off": amount_off,
        "currency": currency,
    }


def discount(c: dict[str, Any]) -> dict[str, Any]:
    return {"id": f"di_{next(_ids)}", "object": "discount", "coupon": c}


def subscription(
    sub_id: str,
    customer: str,
    items: list[dict[str, Any]],
    *,
    status: str = "active",
    currency: str = "usd",
    **extra: Any,
) -> dict[str, Any]:
    out = {
        "id": sub_id,
        "object": "subscription",
        "customer": customer,
        "status": status,
        "currency": currency,
        "items": {"object": "list", "data": items},
        "cancel_at_period_end": False,
        "cancel_at": None,
        "discount": None,
        "discounts": [],
        "trial_end": None,
    }
    out.update(extra)
    return out


def event(
    created: int, obj: dict[str, Any], kind: str = "updated", evt_id: str | None = None
) -> dict[str, Any]:
    prefix = "customer" if obj.get("object") == "customer" else "customer.subscription"
    return {
        "id": evt_id or f"evt_{next(_ids)}",
        "object": "event",
        "type": f"{prefix}.{kind}",
        "created": created,
        "data": {"object": obj},
    }


def customer(cus_id: str, name: str, created: int, kind: str = "created") -> dict[str, Any]:
    return event(created, {"id": cus_id, "object": "customer", "name": name, "email": ""}, kind)


def lines(events: list[dict[str, Any]]) -> list[str]:
    return [json.dumps(e) for e in events]
