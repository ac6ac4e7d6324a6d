"""Probe targets, maintenance windows and monitoring gaps: what the operator declares.

These are the functions behind `hub probe …` and `hub maintenance …` (and later the
dashboard's forms), so both validate the same way and say what is wrong in one line.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from engine.access import audit
from engine.access.principal import Principal
from engine.access.roles import Permission
from engine.errors import InputError
from engine.reliability.ingest import rebuild_segments
from engine.reliability.models import (
    MaintenanceWindow,
    MonitoringGap,
    Probe,
    ProbeResult,
    ProbeSegment,
    ProbeSeries,
)
from engine.store import Store

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def parse_duration(value: str, field: str = "duration") -> float:
    """`30s`, `5m`, `1h`, `500ms` or plain seconds → seconds."""
    match = _DURATION.match(str(value))
    if not match:
        raise InputError(f"{field}: {value!r} is not a duration (use e.g. 30s, 5m, 1h)")
    return float(match.group(1)) * _UNIT[match.group(2)]


def parse_expect(value: str) -> tuple[int, int]:
    """`200-299` or `200` → (min, max) status codes accepted as up."""
    match = re.fullmatch(r"\s*(\d{3})\s*(?:-\s*(\d{3}))?\s*", value)
    if not match:
        raise InputError(f"--expect: {value!r} is not a status range (use e.g. 200-299 or 204)")
    low = int(match.group(1))
    high = int(match.group(2) or low)
    if not 100 <= low <= high <= 599:
        raise InputError(f"--expect: {value!r} is not a range of HTTP statuses (100–599)")
    return low, high


def parse_local_instant(value: str, tz: ZoneInfo, field: str) -> datetime:
    """An operator's timestamp: ISO 8601; without an offset it is in the reporting timezone."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InputError(
            f"{field}: {value!r} is not an ISO 8601 timestamp (e.g. 2026-01-09T10:00)"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.astimezone(UTC)


@dataclass(frozen=True)
class ProbeView:
    """A target as listed: its configuration (if any) and its latest state."""

    name: str
    url: str | None
    method: str | None
    interval_seconds: float | None
    timeout_seconds: float | None
    expect: str | None
    contains: str | None
    critical: bool
    paused: bool
    configured: bool
    last_checked_at: datetime | None
    last_ok: bool | None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["last_checked_at"] = self.last_checked_at.isoformat() if self.last_checked_at else None
        return out


def add_probe(
    store: Store,
    actor: Principal,
    name: str,
    url: str,
    *,
    method: str = "GET",
    interval: str | float = "60s",
    timeout: str | float = "10s",
    expect: str = "200-299",
    contains: str | None = None,
    critical: bool = False,
    paused: bool = False,
    batch_id: int | None = None,
) -> Probe:
    """Configure a target; imported history of the same name joins it."""
    name = name.strip()
    audit.guard(store, actor, Permission.probe_manage, "probe.add", name)
    if not name or len(name) > 100:
        raise InputError("probe name must be 1–100 characters")
    if not re.match(r"^https?://[^\s/]+", url):
        raise InputError(f"--url: {url!r} is not an http(s) URL")
    method = method.upper()
    if method not in METHODS:
        raise InputError(f"--method: {method!r} is not one of {', '.join(METHODS)}")
    interval_s = parse_duration(str(interval), "--interval")
    timeout_s = parse_duration(str(timeout), "--timeout")
    if not 1 <= interval_s <= 86_400:
        raise InputError("--interval must be between 1s and 24h")
    if not 0 < timeout_s <= 300:
        raise InputError("--timeout must be between 0 and 5m")
    low, high = parse_expect(expect)
    with store.session() as s:
        if s.scalar(select(Probe.id).where(Probe.name == name)) is not None:
            raise InputError(f"probe {name!r} already exists: remove it first to change it")
        probe = Probe(
            name=name,
            url=url,
            method=method,
            interval_seconds=round(interval_s),
            timeout_seconds=timeout_s,
            expect_min=low,
            expect_max=high,
            contains=contains or None,
            critical=critical,
            paused=paused,
            batch_id=batch_id,
        )
        s.add(probe)
        s.flush()
        audit.record(
            s,
            actor,
            "probe.add",
            name,
            after={
                "url": url,
                "method": method,
                "interval_seconds": round(interval_s),
                "timeout_seconds": timeout_s,
                "expect": f"{low}-{high}",
                "contains": contains,
                "critical": critical,
                "paused": paused,
            },
        )
        if s.scalar(select(func.count()).where(ProbeResult.target == name)):
            rebuild_segments(s, name)  # its interval now comes from the configuration
    return probe


def remove_probe(store: Store, actor: Principal, name: str, *, purge: bool = False) -> int:
    """Remove a target's configuration (history stays unless `purge`); returns rows purged."""
    audit.guard(store, actor, Permission.probe_manage, "probe.remove", name)
    with store.session() as s:
        probe = s.scalar(select(Probe).where(Probe.name == name))
        has_history = bool(s.scalar(select(func.count()).where(ProbeResult.target == name)))
        if probe is None and not (purge and has_history):
            raise InputError(f"no probe named {name!r} (see `hub probe list`)")
        audit.record(
            s,
            actor,
            "probe.remove",
            name,
            before=probe and {"url": probe.url, "critical": probe.critical},
            after={"history_purged": purge},
        )
        if probe is not None:
            s.delete(probe)
            s.flush()
        purged = 0
        if purge:
            from engine.reliability.ingest import apply_probe_bins

            apply_probe_bins(s, "target = :target", -1, {"target": name})
            purged = s.execute(delete(ProbeResult).where(ProbeResult.target == name)).rowcount
            s.execute(delete(ProbeSegment).where(ProbeSegment.target == name))
            s.execute(delete(ProbeSeries).where(ProbeSeries.target == name))
        elif has_history:
            rebuild_segments(s, name)
    return purged or 0


def list_probes(store: Store) -> list[ProbeView]:
    """Configured targets plus targets known only from imported history."""
    with store.session() as s:
        probes = {p.name: p for p in s.scalars(select(Probe))}
        series = {x.target: x for x in s.scalars(select(ProbeSeries))}
    out = []
    for name in sorted(probes.keys() | series.keys()):
        p, x = probes.get(name), series.get(name)
        out.append(
            ProbeView(
                name=name,
                url=p.url if p else None,
                method=p.method if p else None,
                interval_seconds=float(p.interval_seconds)
                if p
                else (x.interval_seconds if x else None),
                timeout_seconds=p.timeout_seconds if p else None,
                expect=f"{p.expect_min}-{p.expect_max}" if p else None,
                contains=p.contains if p else None,
                critical=bool(p and p.critical),
                paused=bool(p and p.paused),
                configured=p is not None,
                last_checked_at=x.last_checked_at if x else None,
                last_ok=x.last_ok if x else None,
            )
        )
    return out


def active_probes(store: Store) -> list[Probe]:
    """What the prober checks: configured and not paused."""
    with store.session() as s:
        return list(s.scalars(select(Probe).where(Probe.paused.is_(False)).order_by(Probe.name)))


def add_maintenance(
    store: Store,
    actor: Principal,
    starts_at: datetime,
    ends_at: datetime,
    *,
    target: str | None = None,
    reason: str = "",
    batch_id: int | None = None,
) -> MaintenanceWindow:
    """Declare a maintenance window (target None = every target)."""
    audit.guard(store, actor, Permission.probe_manage, "maintenance.add", target or "all")
    if ends_at <= starts_at:
        raise InputError("maintenance window: --to must be after --from")
    with store.session() as s:
        if target is not None:
            known = s.scalar(select(Probe.id).where(Probe.name == target)) is not None
            known = known or s.get(ProbeSeries, target) is not None
            if not known:
                raise InputError(f"no probe named {target!r} (see `hub probe list`)")
        window = MaintenanceWindow(
            target=target,
            starts_at=starts_at,
            ends_at=ends_at,
            reason=reason[:500],
            batch_id=batch_id,
        )
        s.add(window)
        audit.record(
            s,
            actor,
            "maintenance.add",
            target or "all targets",
            after={"from": starts_at, "to": ends_at, "reason": reason[:500]},
        )
    return window


def list_maintenance(store: Store) -> list[dict[str, Any]]:
    """Every declared window, newest first (for `hub maintenance list`)."""
    with store.session() as s:
        windows = s.scalars(select(MaintenanceWindow).order_by(MaintenanceWindow.starts_at.desc()))
        return [
            {
                "id": w.id,
                "target": w.target,
                "from": w.starts_at.isoformat(),
                "to": w.ends_at.isoformat(),
                "reason": w.reason,
            }
            for w in windows
        ]


def maintenance_windows(s: Session, start: datetime, end: datetime) -> list[MaintenanceWindow]:
    """Windows overlapping [start, end)."""
    return list(
        s.scalars(
            select(MaintenanceWindow)
            .where(MaintenanceWindow.starts_at < end, MaintenanceWindow.ends_at > start)
            .order_by(MaintenanceWindow.starts_at)
        )
    )


def record_gap(
    s: Session,
    starts_at: datetime,
    ends_at: datetime,
    reason: str,
    *,
    batch_id: int | None = None,
) -> MonitoringGap:
    gap = MonitoringGap(
        starts_at=starts_at, ends_at=ends_at, reason=reason[:500], batch_id=batch_id
    )
    s.add(gap)
    return gap


def monitoring_gaps(s: Session, start: datetime, end: datetime) -> list[MonitoringGap]:
    return list(
        s.scalars(
            select(MonitoringGap)
            .where(MonitoringGap.starts_at < end, MonitoringGap.ends_at > start)
            .order_by(MonitoringGap.starts_at)
        )
    )
