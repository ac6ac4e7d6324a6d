"""Revenue reports: KPIs for a period, the MRR series with movements, drill-downs.

Everything reads the movements table with a handful of aggregate queries (balances before
the period, then sums per currency, kind and local day), values each day at its FX rate
in exact decimals, and rounds to cents only in the output (`money.round_flows`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, exists, func, select
from sqlalchemy.orm import Session, aliased

from engine.config import get_settings
from engine.errors import InputError
from engine.periods import Period
from engine.revenue.bulk import one_of
from engine.revenue.fx import FxTable
from engine.revenue.models import (
    FxRate,
    MarketingSpend,
    MrrMovement,
    RevenueCustomer,
    StripeEvent,
    SubscriptionState,
)
from engine.revenue.money import (
    CONTEXT,
    ZERO,
    as_number,
    cents,
    from_micro,
    ratio,
    round_flows,
)
from engine.store import Store

BucketBy = Literal["month", "week", "day"]
BUCKETS: tuple[str, ...] = ("month", "week", "day")
EPOCH_DAY = date(1970, 1, 1)
DAY = 86400
FLOW_KINDS = ("new", "expansion", "reactivation", "contraction", "churn")
KPI_KEYS = (
    "mrr_start",
    "mrr_end",
    "arr_end",
    "new",
    "expansion",
    "reactivation",
    "contraction",
    "churn",
    "fx",
    "net_new_mrr",
    "paying_customers_start",
    "paying_customers_end",
    "new_customers",
    "churned_customers",
    "customer_churn_rate",
    "gross_mrr_churn_rate",
    "net_mrr_churn_rate",
    "arpa",
    "ltv",
    "cac",
    "cac_payback_months",
    "quick_ratio",
    "trial_conversion_rate",
)
TRIAL_GRACE = DAY  # the conversion event may reach Stripe's log a little after trial_end

NO_DATA = (
    "no Stripe data yet: run `hub import stripe events.jsonl`, `hub stripe sync`, or point "
    "a Stripe webhook at POST /webhooks/stripe"
)


# ---------------------------------------------------------------------------- time


@dataclass(frozen=True)
class Bucket:
    label: str
    first: date
    last: date


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def day_index(day: date) -> int:
    return (day - EPOCH_DAY).days


def buckets(first: date, last: date, by: str) -> list[Bucket]:
    """Calendar buckets covering [first, last], clipped to it (labels 2026-01, 2026-W03,
    2026-01-15)."""
    if by not in BUCKETS:
        raise InputError(f"--by must be one of {', '.join(BUCKETS)}, got {by!r}")
    out: list[Bucket] = []
    day = first
    while day <= last:
        if by == "day":
            end, label = day, day.isoformat()
        elif by == "week":
            end = day + timedelta(days=6 - day.weekday())
            year, week, _ = day.isocalendar()
            label = f"{year}-W{week:02d}"
        else:
            nxt = date(day.year + day.month // 12, day.month % 12 + 1, 1)
            end, label = nxt - timedelta(days=1), f"{day:%Y-%m}"
        end = min(end, last)
        out.append(Bucket(label, day, end))
        day = end + timedelta(days=1)
    return out


def _offset(tz: ZoneInfo, epoch: int) -> int:
    offset = datetime.fromtimestamp(epoch, tz).utcoffset()
    return int(offset.total_seconds()) if offset else 0


def offset_segments(tz: ZoneInfo, start: int, end: int) -> list[tuple[int, int]]:
    """(from epoch, UTC offset in seconds) segments covering [start, end)."""
    segments = [(start, _offset(tz, start))]
    at = start
    while at < end:
        nxt = min(at + DAY // 2, end)
        current = _offset(tz, nxt)
        if current != segments[-1][1]:
            lo, hi = at, nxt
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if _offset(tz, mid) == segments[-1][1]:
                    lo = mid
                else:
                    hi = mid
            segments.append((hi, current))
        at = nxt
    return segments


def local_day_expr(column: Any, tz: ZoneInfo, start: int, end: int) -> ColumnElement[int]:
    """SQL for the local day (days since 1970-01-01) of an epoch column, exact across DST:
    one branch per UTC-offset segment of the range, so no timezone support is needed in
    the database."""
    segments = offset_segments(tz, start, end)
    if len(segments) == 1:
        return (column + segments[0][1]) // DAY
    whens = [
        (column < segments[i + 1][0], (column + offset) // DAY)
        for i, (_, offset) in enumerate(segments[:-1])
    ]
    return case(*whens, else_=(column + segments[-1][1]) // DAY)


# ---------------------------------------------------------------------------- flows


@dataclass(frozen=True)
class Flows:
    """Exact figures of one span, in the reporting currency (movements as magnitudes)."""

    start: Decimal
    new: Decimal
    expansion: Decimal
    reactivation: Decimal
    contraction: Decimal
    churn: Decimal
    fx: Decimal
    end: Decimal
    paying_start: int
    paying_end: int

    @property
    def signed(self) -> list[Decimal]:
        return [
            self.new,
            self.expansion,
            self.reactivation,
            -self.contraction,
            -self.churn,
            self.fx,
        ]

    def rounded(self) -> dict[str, Decimal]:
        """Cents that satisfy start + new + expansion + reactivation − contraction − churn
        + fx = end exactly."""
        parts = round_flows(self.start, self.signed, self.end)
        return {
            "mrr_start": cents(self.start),
            "new": parts[0],
            "expansion": parts[1],
            "reactivation": parts[2],
            "contraction": -parts[3],
            "churn": -parts[4],
            "fx": parts[5],
            "mrr_end": cents(self.end),
        }


def _value(balances: dict[str, int], fx: FxTable, day: date) -> Decimal:
    total = ZERO
    for currency, micro in balances.items():
        if micro:
            total += CONTEXT.multiply(Decimal(micro), fx.rate(currency, day))
    return total


def compute_flows(session: Session, period: Period, spans: list[Bucket]) -> list[Flows]:
    """Flows of consecutive day spans covering `period` (one query pass for all)."""
    settings = get_settings()
    tz = period.tz
    start, end = _epoch(period.start), _epoch(period.end)
    opening: dict[str, int] = defaultdict(int)
    paying = 0
    for currency, amount, paying_delta in session.execute(
        select(
            MrrMovement.currency, func.sum(MrrMovement.amount), func.sum(MrrMovement.paying_delta)
        )
        .where(MrrMovement.at < start)
        .group_by(MrrMovement.currency)
    ):
        opening[currency] = int(amount or 0)
        paying += int(paying_delta or 0)
    day_col = local_day_expr(MrrMovement.at, tz, start, end).label("day")
    rows = session.execute(
        select(
            day_col,
            MrrMovement.currency,
            MrrMovement.kind,
            func.sum(MrrMovement.amount),
            func.sum(MrrMovement.paying_delta),
        )
        .where(MrrMovement.at >= start, MrrMovement.at < end)
        .group_by(day_col, MrrMovement.currency, MrrMovement.kind)
    ).all()
    by_day: dict[int, list[tuple[str, str, int, int]]] = defaultdict(list)
    for day, currency, kind, amount, paying_delta in rows:
        by_day[int(day)].append((currency, kind, int(amount or 0), int(paying_delta or 0)))
    currencies = set(opening) | {r[1] for r in rows}
    fx = FxTable.load(session, settings.currency, currencies)

    balances = dict(opening)
    out: list[Flows] = []
    # A balance is valued at the rate of the day its instant falls in: just before A 00:00
    # is the day before A (or the same day when a period starts mid-day, e.g. "24 h").
    opening_day = (period.start - timedelta(microseconds=1)).astimezone(tz).date()
    for n, span in enumerate(spans):
        valued_on = opening_day if n == 0 else span.first - timedelta(days=1)
        start_value = _value(balances, fx, valued_on)
        paying_start = paying
        sums = dict.fromkeys(FLOW_KINDS, ZERO)
        for index in range(day_index(span.first), day_index(span.last) + 1):
            entries = by_day.get(index)
            if not entries:
                continue
            day = EPOCH_DAY + timedelta(days=index)
            for currency, kind, amount, paying_delta in entries:
                if amount:
                    value = CONTEXT.multiply(Decimal(amount), fx.rate(currency, day))
                    sums[kind] += value if amount > 0 else -value
                    balances[currency] = balances.get(currency, 0) + amount
                paying += paying_delta
        end_value = _value(balances, fx, span.last)
        net = (
            sums["new"]
            + sums["expansion"]
            + sums["reactivation"]
            - sums["contraction"]
            - sums["churn"]
        )
        out.append(
            Flows(
                start=from_micro(start_value),
                new=from_micro(sums["new"]),
                expansion=from_micro(sums["expansion"]),
                reactivation=from_micro(sums["reactivation"]),
                contraction=from_micro(sums["contraction"]),
                churn=from_micro(sums["churn"]),
                fx=from_micro(end_value - start_value - net),
                end=from_micro(end_value),
                paying_start=paying_start,
                paying_end=paying,
            )
        )
    return out


# ---------------------------------------------------------------------------- KPIs


@dataclass(frozen=True)
class RevenueKpis:
    """Every revenue KPI of a period: exact `flows` plus counts; `as_json()` rounds."""

    currency: str
    flows: Flows
    new_customers: int
    churned_customers: int
    spend: Decimal | None  # None: no marketing spend has ever been imported
    trials_ended: int
    trials_converted: int

    def ltv(self) -> Decimal | None:
        """ARPA ÷ customer churn rate of the period (exact)."""
        f = self.flows
        churn_rate = ratio(Decimal(self.churned_customers), f.paying_start)
        arpa = ratio(f.end, f.paying_end)
        return ratio(arpa, churn_rate) if arpa is not None and churn_rate else None

    def cac(self) -> Decimal | None:
        """Spend ÷ new customers (exact); None without spend data or new customers."""
        return ratio(self.spend, self.new_customers) if self.spend is not None else None

    def ltv_to_cac(self) -> Decimal | None:
        ltv, cac = self.ltv(), self.cac()
        return ratio(ltv, cac) if ltv is not None and cac else None

    def as_json(self) -> dict[str, Any]:
        """The stable shape of `hub kpi revenue --json` (money in major units, cents)."""
        f = self.flows
        r = f.rounded()
        churn_rate = ratio(Decimal(self.churned_customers), f.paying_start)
        arpa = ratio(f.end, f.paying_end)
        ltv, cac = self.ltv(), self.cac()
        net_new = r["new"] + r["expansion"] + r["reactivation"] - r["contraction"] - r["churn"]
        losses = f.churn + f.contraction
        out: dict[str, Any] = {key: as_number(value) for key, value in r.items()}
        out |= {
            "currency": self.currency,
            "arr_end": as_number(12 * r["mrr_end"]),
            "net_new_mrr": as_number(net_new),
            "paying_customers_start": f.paying_start,
            "paying_customers_end": f.paying_end,
            "new_customers": self.new_customers,
            "churned_customers": self.churned_customers,
            "customer_churn_rate": _float(churn_rate),
            "gross_mrr_churn_rate": _float(ratio(losses, f.start)),
            "net_mrr_churn_rate": _float(ratio(losses - f.expansion - f.reactivation, f.start)),
            "arpa": _money(arpa),
            "ltv": _money(ltv),
            "cac": _money(cac),
            "cac_payback_months": _float(
                ratio(cac, arpa) if cac is not None and arpa is not None else None
            ),
            "quick_ratio": _float(ratio(f.new + f.expansion + f.reactivation, losses)),
            "trial_conversion_rate": _float(
                ratio(Decimal(self.trials_converted), self.trials_ended)
            ),
        }
        return {key: out[key] for key in (*KPI_KEYS, "currency")}


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _money(value: Decimal | None) -> float | None:
    return None if value is None else float(cents(value))


def revenue_kpis(store: Store, period: Period, *, now: datetime | None = None) -> RevenueKpis:
    with store.session() as session:
        return revenue_kpis_in(session, period, now=now)


def revenue_kpis_in(
    session: Session, period: Period, *, now: datetime | None = None
) -> RevenueKpis:
    settings = get_settings()
    span = Bucket("period", period.first_day, period.last_day)
    flows = compute_flows(session, period, [span])[0]
    start, end = _epoch(period.start), _epoch(period.end)
    in_period = and_(MrrMovement.at >= start, MrrMovement.at < end)
    new_customers = session.scalar(
        select(func.count(func.distinct(MrrMovement.customer_id))).where(
            in_period, MrrMovement.kind == "new"
        )
    )
    before = aliased(MrrMovement)
    paying_at_start = (
        select(func.coalesce(func.sum(before.paying_delta), 0))
        .where(before.customer_id == MrrMovement.customer_id, before.at < start)
        .scalar_subquery()
    )
    churned = session.scalar(
        select(func.count(func.distinct(MrrMovement.customer_id))).where(
            in_period, MrrMovement.kind == "churn", paying_at_start > 0
        )
    )
    ended, converted = trial_conversions(session, start, min(end, _epoch(now or _utcnow())))
    return RevenueKpis(
        settings.currency,
        flows,
        int(new_customers or 0),
        int(churned or 0),
        marketing_spend(session, period.first_day, period.last_day),
        ended,
        converted,
    )


def _utcnow() -> datetime:
    return datetime.now(UTC)


def marketing_spend(session: Session, first: date, last: date) -> Decimal | None:
    """Spend on [first, last] in the reporting currency; None if none was ever imported."""
    if not session.scalar(select(exists().where(MarketingSpend.id.is_not(None)))):
        return None
    rows = session.execute(
        select(MarketingSpend.day, MarketingSpend.currency, func.sum(MarketingSpend.amount))
        .where(MarketingSpend.day >= first, MarketingSpend.day <= last)
        .group_by(MarketingSpend.day, MarketingSpend.currency)
    ).all()
    fx = FxTable.load(session, get_settings().currency, {r[1] for r in rows})
    total = ZERO
    for day, currency, amount in rows:
        total += CONTEXT.multiply(Decimal(int(amount or 0)), fx.rate(currency, day))
    return from_micro(total)


def trial_conversions(session: Session, start: int, end: int) -> tuple[int, int]:
    """(trials whose `trial_end` is in [start, end), those contributing MRR right after).

    "Right after" is the subscription's first state recorded in the day after trial_end
    (Stripe emits the conversion event moments after, sometimes later), else its state
    at trial_end.
    """
    if end <= start:
        return 0, 0
    subs = list(
        session.scalars(
            select(SubscriptionState.subscription_id)
            .where(SubscriptionState.trial_end >= start, SubscriptionState.trial_end < end)
            .distinct()
        )
    )
    ended = converted = 0
    for index in range(0, len(subs), 500):
        chunk = subs[index : index + 500]
        states: dict[str, list[Any]] = defaultdict(list)
        for row in session.execute(
            select(
                SubscriptionState.subscription_id,
                SubscriptionState.at,
                SubscriptionState.rank,
                SubscriptionState.seq,
                SubscriptionState.trial_end,
                SubscriptionState.mrr,
                SubscriptionState.ends_at,
            ).where(one_of(session, SubscriptionState.subscription_id, chunk))
        ):
            states[row[0]].append(row)
        for rows in states.values():
            rows.sort(key=lambda r: (r.at, r.rank, r.seq))
            trial_end = next((r.trial_end for r in reversed(rows) if r.trial_end), None)
            if trial_end is None or not start <= trial_end < end:
                continue
            ended += 1
            after = [r for r in rows if trial_end <= r.at <= trial_end + TRIAL_GRACE]
            if after:
                first_at = after[0].at
                state = [r for r in after if r.at == first_at][-1]
            else:
                upto = [r for r in rows if r.at <= trial_end]
                state = upto[-1] if upto else None
            if (
                state is not None
                and state.mrr > 0
                and not (state.ends_at is not None and state.ends_at <= max(trial_end, state.at))
            ):
                converted += 1
    return ended, converted


# ---------------------------------------------------------------------------- series


@dataclass(frozen=True)
class MrrSeries:
    currency: str
    rows: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        return {"currency": self.currency, "rows": self.rows}


SERIES_KEYS = (
    "bucket",
    "mrr_start",
    "new",
    "expansion",
    "reactivation",
    "contraction",
    "churn",
    "fx",
    "mrr_end",
    "paying_customers_end",
)


def mrr_series(store: Store, period: Period, by: str = "month") -> MrrSeries:
    """MRR per bucket with its movements; each row's start is the previous row's end."""
    spans = buckets(period.first_day, period.last_day, by)
    with store.session() as session:
        flows = compute_flows(session, period, spans)
    rows = []
    for span, f in zip(spans, flows, strict=True):
        r = f.rounded()
        rows.append(
            {
                "bucket": span.label,
                **{k: as_number(r[k]) for k in SERIES_KEYS[1:-1]},
                "paying_customers_end": f.paying_end,
            }
        )
    return MrrSeries(get_settings().currency, rows)


# ---------------------------------------------------------------------------- drill-down


def has_revenue_data(store: Store) -> bool:
    with store.session() as session:
        return bool(session.scalar(select(exists().where(StripeEvent.id.is_not(None)))))


def customer_movements(store: Store, customer_id: str) -> list[dict[str, Any]]:
    """One customer's movements in time order, in the subscription's currency.

    `amount` is a positive magnitude (the kind gives the direction); `mrr_after` is the
    customer's MRR in that currency after the change.
    """
    tz = get_settings().tz
    with store.session() as session:
        known = session.scalar(
            select(
                exists().where(SubscriptionState.customer_id == customer_id)
                | exists().where(RevenueCustomer.id == customer_id)
            )
        )
        if not known:
            raise InputError(f"unknown customer {customer_id!r}: no Stripe events mention it")
        rows = session.scalars(
            select(MrrMovement)
            .where(MrrMovement.customer_id == customer_id)
            .order_by(MrrMovement.at, MrrMovement.currency)
        ).all()
    return [
        {
            "at": m.occurred_at.isoformat().replace("+00:00", "Z"),
            "day": m.occurred_at.astimezone(tz).date().isoformat(),
            "kind": m.kind,
            "currency": m.currency,
            "amount": as_number(cents(abs(from_micro(m.amount)))),
            "mrr_after": as_number(cents(from_micro(m.mrr_after))),
            "subscriptions": m.subscription_ids.split(",") if m.subscription_ids else [],
        }
        for m in rows
    ]


def _latest_states(session: Session, before: int) -> Iterator[Any]:
    """The latest state of every subscription recorded before `before` that still
    contributes at that instant."""
    ranked = (
        select(
            SubscriptionState.subscription_id,
            SubscriptionState.customer_id,
            SubscriptionState.currency,
            SubscriptionState.mrr,
            SubscriptionState.ends_at,
            SubscriptionState.at,
            SubscriptionState.plans,
            func.row_number()
            .over(
                partition_by=SubscriptionState.subscription_id,
                order_by=(
                    SubscriptionState.at.desc(),
                    SubscriptionState.rank.desc(),
                    SubscriptionState.seq.desc(),
                ),
            )
            .label("rn"),
        )
        .where(SubscriptionState.at < before)
        .subquery()
    )
    rows = session.execute(select(ranked).where(ranked.c.rn == 1, ranked.c.mrr > 0))
    for row in rows:
        if row.ends_at is not None and (row.ends_at <= row.at or row.ends_at < before):
            continue
        yield row


def mrr_by_plan(store: Store, period: Period) -> list[dict[str, Any]]:
    """MRR per plan at the end of the period, in the reporting currency (rate of the last
    day), largest first."""
    settings = get_settings()
    end = _epoch(period.end)
    totals: dict[tuple[str, str], int] = defaultdict(int)
    subs: dict[tuple[str, str], int] = defaultdict(int)
    with store.session() as session:
        for row in _latest_states(session, end):
            for plan, micro in json.loads(row.plans).items():
                totals[(plan, row.currency)] += int(micro)
                subs[(plan, row.currency)] += 1
        fx = FxTable.load(session, settings.currency, {c for _, c in totals})
    merged: dict[str, dict[str, Any]] = {}
    for (plan, currency), micro in totals.items():
        value = from_micro(CONTEXT.multiply(Decimal(micro), fx.rate(currency, period.last_day)))
        entry = merged.setdefault(plan, {"plan": plan, "mrr": ZERO, "subscriptions": 0})
        entry["mrr"] += value
        entry["subscriptions"] += subs[(plan, currency)]
    out = sorted(merged.values(), key=lambda e: e["mrr"], reverse=True)
    return [{**e, "mrr": as_number(cents(e["mrr"]))} for e in out]


def customers_by_mrr(store: Store, period: Period, limit: int = 500) -> list[dict[str, Any]]:
    """Customers with MRR history: id, name and MRR per currency at the end of the period,
    largest first (for the drill-down picker)."""
    end = _epoch(period.end)
    with store.session() as session:
        rows = session.execute(
            select(
                MrrMovement.customer_id,
                MrrMovement.currency,
                func.sum(MrrMovement.amount).label("mrr"),
            )
            .where(MrrMovement.at < end)
            .group_by(MrrMovement.customer_id, MrrMovement.currency)
            .order_by(func.sum(MrrMovement.amount).desc(), MrrMovement.customer_id)
            .limit(limit)
        ).all()
        names = dict(
            session.execute(
                select(RevenueCustomer.id, RevenueCustomer.name).where(
                    RevenueCustomer.id.in_({r.customer_id for r in rows})
                )
            ).all()
        )
    return [
        {
            "customer_id": r.customer_id,
            "name": names.get(r.customer_id, ""),
            "currency": r.currency,
            "mrr": as_number(cents(from_micro(int(r.mrr or 0)))),
        }
        for r in rows
    ]


def data_version(store: Store) -> tuple[int, ...]:
    """Cheap fingerprint of the revenue data, for caches that must not serve stale KPIs
    (recomputed movements get new ids; replaced spend and rates move to a newer batch)."""
    with store.session() as session:
        moves = session.execute(
            select(func.count(MrrMovement.id), func.coalesce(func.max(MrrMovement.id), 0))
        ).one()
        spend = session.execute(
            select(
                func.count(MarketingSpend.id),
                func.coalesce(func.max(MarketingSpend.batch_id), 0),
            )
        ).one()
        rates = session.execute(
            select(func.count(FxRate.day), func.coalesce(func.max(FxRate.batch_id), 0))
        ).one()
    return tuple(int(v) for v in (*moves, *spend, *rates))
