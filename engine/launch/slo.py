"""SLOs, error budgets and multiwindow burn-rate alerting (Google SRE workbook, ch. 5).

burn rate = error rate ÷ (1 − objective): 1 spends the budget exactly over the SLO window.
Page when both the 1 h and 5 min burn exceed 14.4, or both the 6 h and 30 min exceed 6;
ticket when both the 3 d and 6 h burn exceed 1. The short window makes an alert resolve
soon after the errors stop; the long one keeps a blip from paging.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from engine.access import audit
from engine.access.principal import Principal
from engine.access.roles import Permission
from engine.errors import InputError
from engine.launch.models import Slo
from engine.store import Store
from engine.store.base import utcnow

KINDS = ("availability", "error_rate", "latency_p95")
DEFAULT_SLOS: tuple[tuple[str, str, float, int], ...] = (
    # name, kind, objective, window days (from the plan)
    ("availability", "availability", 0.999, 30),
    ("error_rate", "error_rate", 0.001, 30),  # error rate < 0.1 %
    ("latency_p95", "latency_p95", 500.0, 30),  # p95 < 500 ms
)
WINDOWS: dict[str, timedelta] = {
    "5m": timedelta(minutes=5),
    "30m": timedelta(minutes=30),
    "1h": timedelta(hours=1),
    "6h": timedelta(hours=6),
    "3d": timedelta(days=3),
}


@dataclass(frozen=True)
class BurnRule:
    severity: str  # page | ticket
    long: str
    short: str
    factor: float


BURN_RULES: tuple[BurnRule, ...] = (
    BurnRule("page", "1h", "5m", 14.4),
    BurnRule("page", "6h", "30m", 6.0),
    BurnRule("ticket", "3d", "6h", 1.0),
)


@dataclass(frozen=True)
class SloView:
    name: str
    kind: str
    objective: float
    window_days: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "objective": self.objective,
            "window_days": self.window_days,
        }


def list_slos(store: Store) -> list[SloView]:
    """The configured SLOs; the plan's defaults where none is stored."""
    with store.session() as s:
        stored = {
            o.name: SloView(o.name, o.kind, o.objective, o.window_days)
            for o in s.scalars(select(Slo))
        }
    defaults = {n: SloView(n, k, o, w) for n, k, o, w in DEFAULT_SLOS}
    return sorted((defaults | stored).values(), key=lambda v: v.name)


def get_slo(store: Store, name: str) -> SloView:
    for slo in list_slos(store):
        if slo.name == name:
            return slo
    raise InputError(f"no SLO named {name!r}")


def set_slo(
    store: Store, actor: Principal, name: str, kind: str, objective: float, window_days: int = 30
) -> SloView:
    audit.guard(store, actor, Permission.alert_manage, "slo.set", name)
    if kind not in KINDS:
        raise InputError(f"SLO kind must be one of {', '.join(KINDS)}")
    if kind == "availability" and not 0 < objective < 1:
        raise InputError("an availability objective is a fraction between 0 and 1, e.g. 0.999")
    if kind == "error_rate" and not 0 < objective < 1:
        raise InputError("an error-rate objective is a fraction between 0 and 1, e.g. 0.001")
    if objective <= 0 or window_days <= 0:
        raise InputError("objective and window must be positive")
    with store.session() as s:
        row = s.get(Slo, name)
        before = row and {"kind": row.kind, "objective": row.objective, "days": row.window_days}
        row = row or Slo(name=name)
        row.kind, row.objective, row.window_days = kind, objective, window_days
        s.add(row)
        audit.record(
            s,
            actor,
            "slo.set",
            name,
            before=before,
            after={"kind": kind, "objective": objective, "days": window_days},
        )
    return SloView(name, kind, objective, window_days)


def allowed_error_rate(slo: SloView) -> float:
    """The error budget as a rate: 1 − availability objective, or the error-rate limit."""
    if slo.kind == "availability":
        return 1 - slo.objective
    if slo.kind == "error_rate":
        return slo.objective
    raise InputError(f"SLO {slo.name!r} ({slo.kind}) has no error budget to burn")


def burn_rate(error_rate: float | None, allowed: float) -> float | None:
    """error rate ÷ allowed error rate (None when there were no requests)."""
    if error_rate is None:
        return None
    return error_rate / allowed


ErrorRateOf = Callable[[datetime, datetime], float | None]


def request_error_rate(store: Store) -> ErrorRateOf:
    from engine.reliability.kpis import request_stats

    def rate(start: datetime, end: datetime) -> float | None:
        return request_stats(store, start, end).error_rate

    return rate


def burn_rates(
    allowed: float, error_rate_of: ErrorRateOf, now: datetime
) -> dict[str, float | None]:
    """Burn rate over each window ending at `now` (5m, 30m, 1h, 6h, 3d)."""
    return {name: burn_rate(error_rate_of(now - w, now), allowed) for name, w in WINDOWS.items()}


def _text(rule: BurnRule) -> str:
    return f"{rule.long} and {rule.short} burn > {rule.factor:g}"


def classify(burns: dict[str, float | None]) -> tuple[str | None, list[str]]:
    """('page' | 'ticket' | None, the rules that hold), per the multiwindow rules."""
    held = []
    for rule in BURN_RULES:
        a, b = burns.get(rule.long), burns.get(rule.short)
        if a is not None and b is not None and a > rule.factor and b > rule.factor:
            held.append(_text(rule))
    severities = {r.severity for r in BURN_RULES if _text(r) in held}
    severity = "page" if "page" in severities else ("ticket" if severities else None)
    return severity, held


def burn_status(
    store: Store, slo_name: str = "availability", *, now: datetime | None = None
) -> dict[str, Any]:
    """Burn rates of one SLO over every alerting window and the alert they call for."""
    slo = get_slo(store, slo_name)
    now = now or utcnow()
    allowed = allowed_error_rate(slo)
    burns = burn_rates(allowed, request_error_rate(store), now)
    severity, held = classify(burns)
    return {
        "slo": slo.name,
        "objective": slo.objective,
        "burn": burns,
        "alert": severity,
        "rules": held,
        "checks": rule_checks(burns),
    }


def rule_checks(burns: dict[str, float | None]) -> list[dict[str, Any]]:
    """Each multiwindow rule against the burns: both windows' values and whether it holds."""
    out = []
    for rule in BURN_RULES:
        a, b = burns.get(rule.long), burns.get(rule.short)
        out.append(
            {
                "severity": rule.severity,
                "long_window": rule.long,
                "short_window": rule.short,
                "threshold": rule.factor,
                "long_burn": a,
                "short_burn": b,
                "holds": a is not None and b is not None and a > rule.factor and b > rule.factor,
            }
        )
    return out


def slo_report(store: Store, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """Every SLO with its error budget and burn status (None for SLOs without a budget)."""
    now = now or utcnow()
    out = []
    for slo in list_slos(store):
        has_budget = slo.kind in ("availability", "error_rate")
        out.append(
            slo.to_dict()
            | {
                "budget": error_budget(store, slo.name, now=now) if has_budget else None,
                "burn": burn_status(store, slo.name, now=now) if has_budget else None,
            }
        )
    return out


def error_budget(
    store: Store, slo_name: str = "availability", *, now: datetime | None = None
) -> dict[str, Any]:
    """Budget of the SLO window ending now: total, consumed and remaining (fractions).

    availability: downtime seconds against (1 − objective) × measured seconds (probes);
    error_rate: failed requests against objective × requests.
    """
    from engine.reliability.kpis import request_stats, uptime_report
    from engine.reliability.timeline import DOWN, UP

    slo = get_slo(store, slo_name)
    now = now or utcnow()
    start = now - timedelta(days=slo.window_days)
    if slo.kind == "availability":
        report = uptime_report(store, start, now, now=now)
        seconds = report.seconds()
        measured = seconds[UP] + seconds[DOWN]
        budget = (1 - slo.objective) * measured
        consumed = seconds[DOWN]
        unit = "seconds"
    elif slo.kind == "error_rate":
        stats = request_stats(store, start, now)
        budget = slo.objective * stats.requests
        consumed = float(stats.errors)
        unit = "requests"
    else:
        raise InputError(f"SLO {slo.name!r} ({slo.kind}) has no error budget")
    return {
        "slo": slo.name,
        "window_days": slo.window_days,
        "unit": unit,
        "budget": budget,
        "consumed": consumed,
        "remaining": 1 - consumed / budget if budget > 0 else None,
    }
