"""Demo revenue: two years of Stripe-shaped events, marketing spend and EUR rates.

The company sells seats on Starter, Growth and Scale plans, monthly or annual (ten months'
price), in USD and EUR. Customers arrive on a growth curve with weekly seasonality and a
launch spike; some start with a 14-day trial, some use the FOUNDERS20 forever coupon or the
WELCOME50 once coupon; they upgrade, downgrade, fall past due, cancel now or at period end,
and some come back. Everything goes through the real importers in demo batches.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine.access.principal import SYSTEM
from engine.config import get_settings
from engine.demo import DemoSpec, ProgressFn, register
from engine.revenue import movements
from engine.revenue.bulk import lock_revenue
from engine.revenue.ingest import import_events, import_fx, import_spend
from engine.revenue.models import (
    FxRate,
    MarketingSpend,
    RevenueCustomer,
    StripeEvent,
    SubscriptionState,
)
from engine.store import Store
from engine.store.models import ImportBatch

HISTORY_DAYS = 730
CUSTOMERS = {"S": 300, "M": 3_000, "L": 20_000}
# plan → (USD cents, EUR cents) per seat per month; annual costs ten months
PLANS = {"Starter": (2900, 2700), "Growth": (7900, 7200), "Scale": (19900, 18500)}
PLAN_ORDER = ("Starter", "Growth", "Scale")
CHANNELS = (("google_ads", "USD", 0.45), ("linkedin", "USD", 0.30), ("content", "USD", 0.15))
EU_CHANNEL = ("meetups_eu", "EUR", 0.10)
TARGET_CAC = 450.0  # USD of spend per new customer, roughly


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _add_months(moment: datetime, months: int) -> datetime:
    month = moment.month - 1 + months
    year = moment.year + month // 12
    month = month % 12 + 1
    day = min(moment.day, 28)
    return moment.replace(year=year, month=month, day=day)


@dataclass
class _Sub:
    id: str
    customer: str
    currency: str
    plan: str
    annual: bool
    seats: int
    coupon: dict[str, Any] | None
    coupon_style: str
    status: str = "active"
    trial_end: int | None = None
    start: int = 0
    period_end: int = 0
    cancel_at_period_end: bool = False
    canceled_at: int | None = None
    ended_at: int | None = None

    def price(self) -> dict[str, Any]:
        usd, eur = PLANS[self.plan]
        monthly = usd if self.currency == "usd" else eur
        interval = "year" if self.annual else "month"
        return {
            "id": f"price_{self.plan.lower()}_{interval}_{self.currency}",
            "object": "price",
            "currency": self.currency,
            "nickname": f"{self.plan} {'annual' if self.annual else 'monthly'}",
            "product": f"prod_{self.plan.lower()}",
            "unit_amount": monthly * 10 if self.annual else monthly,
            "billing_scheme": "per_unit",
            "recurring": {"interval": interval, "interval_count": 1, "usage_type": "licensed"},
        }

    def obj(self) -> dict[str, Any]:
        discount = None
        if self.coupon:
            discount = {"id": f"di_{self.id}", "object": "discount", "coupon": self.coupon}
        return {
            "id": self.id,
            "object": "subscription",
            "customer": self.customer,
            "currency": self.currency,
            "status": self.status,
            "start_date": self.start,
            "created": self.start,
            "current_period_end": self.period_end,
            "cancel_at_period_end": self.cancel_at_period_end,
            "cancel_at": self.period_end if self.cancel_at_period_end else None,
            "canceled_at": self.canceled_at,
            "ended_at": self.ended_at,
            "trial_end": self.trial_end,
            "items": {
                "object": "list",
                "data": [
                    {
                        "id": f"si_{self.id}",
                        "object": "subscription_item",
                        "price": self.price(),
                        "quantity": self.seats,
                    }
                ],
            },
            "discount": discount if self.coupon_style == "discount" else None,
            "discounts": [discount] if discount and self.coupon_style == "discounts" else [],
        }


@dataclass
class _Story:
    """Collects one customer's events in time order and drops any after the end."""

    end: int
    events: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)

    def add(self, at: int, kind: str, obj: dict[str, Any]) -> bool:
        if at > self.end:
            return False
        self.events.append((at, kind, obj))
        return True


FOUNDERS20 = {"id": "FOUNDERS20", "object": "coupon", "duration": "forever", "percent_off": 20}
WELCOME50 = {
    "id": "WELCOME50",
    "object": "coupon",
    "duration": "once",
    "amount_off": 5000,
    "currency": "usd",
}


def _signup_days(spec: DemoSpec, rng: random.Random, count: int) -> list[date]:
    """Signup days on a growth curve with weekday seasonality and a launch spike."""
    first = spec.today - timedelta(days=HISTORY_DAYS - 1)
    weights = []
    for i in range(HISTORY_DAYS):
        day = first + timedelta(days=i)
        growth = math.exp(2.2 * i / HISTORY_DAYS)
        weekday = 0.55 if day.weekday() >= 5 else 1.0
        launch = 4.0 if 0 <= (day - spec.launch_day).days < 7 else 1.0
        weights.append(growth * weekday * launch)
    days = rng.choices(range(HISTORY_DAYS), weights=weights, k=count)
    return sorted(first + timedelta(days=d) for d in days)


def _customer_story(
    rng: random.Random, index: int, signup: datetime, end: int, early: bool
) -> _Story:
    story = _Story(end)
    cus = f"cus_demo_{index:05d}"
    currency = "eur" if rng.random() < 0.2 else "usd"
    name = f"{rng.choice(_NAMES)} {rng.choice(_SUFFIXES)} {index}"
    created = _epoch(signup)
    story.add(
        created,
        "customer.created",
        {"id": cus, "object": "customer", "name": name, "email": f"billing@c{index}.example"},
    )
    at = created + rng.randrange(60, 3600)
    attempt = 0
    while at <= end:
        annual = rng.random() < 0.25
        plan = rng.choices(PLAN_ORDER, weights=(50, 35, 15))[0]
        seats = max(1, min(40, int(rng.lognormvariate(1.0, 0.8))))
        coupon, style = None, rng.choice(("discount", "discounts"))
        if early and rng.random() < 0.25:
            coupon = FOUNDERS20
        elif currency == "usd" and rng.random() < 0.15:
            coupon = WELCOME50
        sub = _Sub(
            f"sub_demo_{index:05d}_{attempt}", cus, currency, plan, annual, seats, coupon, style
        )
        sub.start = at
        if attempt == 0 and rng.random() < 0.4:
            sub.status, sub.trial_end = "trialing", at + 14 * 86400
            sub.period_end = sub.trial_end
            story.add(at, "customer.subscription.created", sub.obj())
            at = sub.trial_end
            if rng.random() < 0.3:  # the trial does not convert
                sub.status, sub.canceled_at, sub.ended_at = "canceled", at, at
                story.add(at, "customer.subscription.deleted", sub.obj())
                return story
            sub.status = "active"
            sub.period_end = _epoch(
                _add_months(datetime.fromtimestamp(at, UTC), 12 if annual else 1)
            )
            if not story.add(at + rng.randrange(5, 90), "customer.subscription.updated", sub.obj()):
                return story
        else:
            sub.period_end = _epoch(
                _add_months(datetime.fromtimestamp(at, UTC), 12 if annual else 1)
            )
            if not story.add(at, "customer.subscription.created", sub.obj()):
                return story
        churned_at = _run_subscription(rng, sub, at, story)
        if churned_at is None or rng.random() > 0.2:
            return story
        attempt += 1
        at = churned_at + rng.randrange(30, 200) * 86400
    return story


def _run_subscription(rng: random.Random, sub: _Sub, start: int, story: _Story) -> int | None:
    """Bill period after period; returns when it ended, or None if still running."""
    period_start = start
    while True:
        span = sub.period_end - period_start
        churn = 0.16 if sub.annual else 0.035
        if rng.random() < churn:
            if rng.random() < 0.6:  # cancel at period end: churns when the period ends
                sub.cancel_at_period_end = True
                sub.canceled_at = period_start + rng.randrange(span // 3, span - 3600)
                story.add(sub.canceled_at, "customer.subscription.updated", sub.obj())
                ended = sub.period_end
            else:
                ended = period_start + rng.randrange(span // 4, span - 3600)
                sub.canceled_at = ended
            sub.status, sub.ended_at = "canceled", ended
            story.add(ended, "customer.subscription.deleted", sub.obj())
            return ended if ended <= story.end else None
        roll = rng.random()
        mid = period_start + rng.randrange(3600, max(7200, span - 3600))
        if roll < 0.04:  # upgrade: more seats or the next plan
            if sub.plan != "Scale" and rng.random() < 0.35:
                sub.plan = PLAN_ORDER[PLAN_ORDER.index(sub.plan) + 1]
            else:
                sub.seats += rng.randrange(1, 4)
            story.add(mid, "customer.subscription.updated", sub.obj())
        elif roll < 0.06 and sub.seats > 1:  # downgrade
            sub.seats -= 1
            story.add(mid, "customer.subscription.updated", sub.obj())
        elif roll < 0.085:  # a failed renewal payment, recovered a few days later
            sub.status = "past_due"
            story.add(period_start + 600, "customer.subscription.updated", sub.obj())
            sub.status = "active"
            story.add(
                period_start + rng.randrange(2, 8) * 86400,
                "customer.subscription.updated",
                sub.obj(),
            )
        period_start = sub.period_end
        if period_start > story.end:
            return None
        sub.period_end = _epoch(
            _add_months(datetime.fromtimestamp(period_start, UTC), 12 if sub.annual else 1)
        )


_NAMES = ("Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark", "Wayne")
_SUFFIXES = ("Labs", "GmbH", "Inc", "Studio", "Systems", "Analytics", "Cloud", "Works")


def generate_events(spec: DemoSpec) -> list[dict[str, Any]]:
    """Every demo Stripe event, deterministic for the spec's seed."""
    rng = spec.rng("revenue")
    end = _epoch(datetime.combine(spec.today, time(23, 0), UTC))
    days = _signup_days(spec, rng, CUSTOMERS[spec.scale])
    early_until = days[0] + timedelta(days=180) if days else spec.today
    out: list[dict[str, Any]] = []
    for index, day in enumerate(days):
        signup = datetime.combine(day, time(), UTC) + timedelta(seconds=rng.randrange(86400))
        story = _customer_story(rng, index, signup, end, day <= early_until)
        for n, (at, kind, obj) in enumerate(story.events):
            out.append(
                {
                    "id": f"evt_demo_{index:05d}_{n:03d}",
                    "object": "event",
                    "type": kind,
                    "created": at,
                    "data": {"object": obj},
                }
            )
    return out


def fx_rows(spec: DemoSpec) -> list[str]:
    """EUR rates on weekdays (like a central bank's), from before the first event."""
    rng = spec.rng("revenue-fx")
    reporting = get_settings().currency
    first = spec.today - timedelta(days=HISTORY_DAYS + 10)
    rate = 1.07
    rows = ["date,currency,rate"]
    if reporting == "EUR":
        return rows
    for i in range((spec.today - first).days + 1):
        day = first + timedelta(days=i)
        rate = min(1.2, max(0.98, rate + rng.gauss(0, 0.003)))
        if day.weekday() < 5:
            rows.append(f"{day},EUR,{rate:.6f}")
    return rows


def spend_rows(spec: DemoSpec, events: list[dict[str, Any]]) -> list[str]:
    """Daily spend per channel, proportional to the week's signups, with noise."""
    rng = spec.rng("revenue-spend")
    first = spec.today - timedelta(days=HISTORY_DAYS - 1)
    signups: dict[date, int] = {}
    for e in events:
        if e["type"] == "customer.created":
            day = datetime.fromtimestamp(e["created"], UTC).date()
            signups[day] = signups.get(day, 0) + 1
    rows = ["date,channel,amount,currency"]
    for i in range(HISTORY_DAYS):
        day = first + timedelta(days=i)
        week = sum(signups.get(day - timedelta(days=d), 0) for d in range(7)) / 7
        budget = max(20.0, week * TARGET_CAC * rng.uniform(0.8, 1.2))
        for channel, currency, share in (*CHANNELS, EU_CHANNEL):
            amount = budget * share / (1.08 if currency == "EUR" else 1.0)
            rows.append(f"{day},{channel},{amount:.2f},{currency}")
    return rows


class RevenueDemo:
    name = "revenue"

    def load(self, store: Store, spec: DemoSpec, progress: ProgressFn) -> int:
        label = "Revenue: Stripe events, spend, FX"
        events = generate_events(spec)
        total = len(events) + 2
        progress(label, 0, total)
        fx = import_fx(store, SYSTEM, fx_rows(spec), source="demo", label="demo FX", is_demo=True)
        spend = import_spend(
            store, SYSTEM, spend_rows(spec, events), source="demo", label="demo spend", is_demo=True
        )
        progress(label, 2, total)
        report = import_events(
            store, SYSTEM, events, source="demo", label="demo Stripe events", is_demo=True
        )
        progress(label, total, total)
        return fx.new + spend.new + report.new

    def clear(self, session: Session) -> int:
        """Delete demo events, customers, spend and rates; recompute the movements of every
        customer a demo event touched (real events of theirs, if any, still count)."""
        lock_revenue(session)
        demo = select(ImportBatch.id).where(ImportBatch.is_demo.is_(True))
        demo_events = select(StripeEvent.id).where(StripeEvent.batch_id.in_(demo))
        affected = set(
            session.scalars(
                select(SubscriptionState.customer_id)
                .where(SubscriptionState.event_id.in_(demo_events))
                .distinct()
            )
        )
        removed = 0
        session.execute(
            delete(SubscriptionState).where(SubscriptionState.event_id.in_(demo_events))
        )
        for model in (StripeEvent, RevenueCustomer, MarketingSpend, FxRate):
            result = session.execute(delete(model).where(model.batch_id.in_(demo)))
            removed += result.rowcount or 0
        movements.recompute(session, affected)
        return removed


register(RevenueDemo())
