"""Health overlay: colour a component by the uptime probe that watches it.

Probes live in the reliability capability, which may not be installed or migrated; then
the overlay says so plainly ("no probes configured …") instead of painting everything
green. Matching is by name, strictest first, and says how each match was made so a wrong
one is easy to spot and fix (set `metadata.probe` on the component to pin it).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import inspect

from engine.store import Store
from engine.sync.document import derive_id

UP, DOWN, STALE, NO_DATA, PAUSED = "up", "down", "stale", "no_data", "paused"
HEALTH_COLOURS = {
    UP: "#2E9E5B",
    DOWN: "#D64545",
    STALE: "#D98E04",
    NO_DATA: "#8A8F98",
    PAUSED: "#8A8F98",
}
UNMATCHED_COLOUR = "#C3C7CE"
MATCH_ORDER = ("metadata", "id", "name", "github_path", "prefix")
PROBE_TABLES = ("probe_targets", "probe_series")
NO_RELIABILITY = "no probes configured: the reliability capability is not installed"
NO_TABLES = "no probes configured: the reliability tables are missing, run `hub init`"
NO_PROBES = "no probes configured: add one with `hub probe add NAME --url URL`"


@dataclass(frozen=True, slots=True)
class ComponentHealth:
    component_id: str
    probe: str
    match: str  # how it matched: one of MATCH_ORDER
    state: str  # up | down | stale | no_data | paused
    last_checked_at: datetime | None = None
    uptime_24h: float | None = None

    @property
    def colour(self) -> str:
        return HEALTH_COLOURS.get(self.state, UNMATCHED_COLOUR)

    def describe(self) -> str:
        uptime = f", 24 h uptime {self.uptime_24h:.3%}" if self.uptime_24h is not None else ""
        return f"probe {self.probe} ({self.match} match): {self.state}{uptime}"


@dataclass(slots=True)
class HealthOverlay:
    """Per component id its health, or why there is none at all (`reason`)."""

    available: bool
    reason: str | None = None
    statuses: dict[str, ComponentHealth] = field(default_factory=dict)
    probes: list[str] = field(default_factory=list)

    def get(self, component_id: str) -> ComponentHealth | None:
        return self.statuses.get(component_id)

    @property
    def unmatched_probes(self) -> list[str]:
        used = {h.probe for h in self.statuses.values()}
        return [p for p in self.probes if p not in used]


@dataclass(frozen=True, slots=True)
class ProbeState:
    """What the overlay needs of a probe, whatever stores it."""

    name: str
    state: str
    last_checked_at: datetime | None = None
    uptime_24h: float | None = None


def match_probes(
    components: Iterable[Mapping[str, Any]], probes: Iterable[str]
) -> dict[str, tuple[str, str]]:
    """component id → (probe name, how): pure, so the rules are easy to test.

    Rules, strictest first: `metadata.probe` names the probe; the probe's name equals the
    component's id, its name (as a slug), or a segment of its `github_path`; else, once
    nothing exact matched, the probe's name is the first word of exactly one component's
    id or name ("api" → "api-gateway"). A probe matched exactly by some component is not
    also prefix-matched elsewhere.
    """
    by_key = {_key(p): p for p in probes}
    out: dict[str, tuple[str, str]] = {}
    exact_probes: set[str] = set()
    items = [c for c in components if isinstance(c.get("id"), str)]
    for c in items:
        cid = c["id"]
        for how, candidates in _candidates(c):
            hit = next((by_key[k] for k in candidates if k in by_key), None)
            if hit is not None:
                out[cid] = (hit, how)
                exact_probes.add(hit)
                break
    prefix_hits: dict[str, list[str]] = {}
    for c in items:
        if c["id"] in out:
            continue
        words = {_key(str(v)).split("-")[0] for v in (c["id"], c.get("name")) if v}
        for word in words:
            probe = by_key.get(word)
            if probe is not None and probe not in exact_probes:
                prefix_hits.setdefault(probe, []).append(c["id"])
    for probe, ids in prefix_hits.items():
        if len(set(ids)) == 1:
            out[ids[0]] = (probe, "prefix")
    return out


def overlay(
    components: Iterable[Mapping[str, Any]],
    probes: Iterable[ProbeState],
) -> HealthOverlay:
    """Join components with probe states (no store: the page and tests feed it)."""
    states = {p.name: p for p in probes}
    if not states:
        return HealthOverlay(False, NO_PROBES)
    result = HealthOverlay(True, probes=sorted(states))
    for cid, (probe, how) in match_probes(components, states).items():
        p = states[probe]
        result.statuses[cid] = ComponentHealth(
            cid, probe, how, p.state, p.last_checked_at, p.uptime_24h
        )
    return result


def probe_states(
    store: Store, *, now: datetime | None = None
) -> tuple[list[ProbeState], str | None]:
    """Current probe states from the reliability capability, or why there are none."""
    if importlib.util.find_spec("engine.reliability") is None:
        return [], NO_RELIABILITY
    tables = inspect(store.engine)
    if not all(tables.has_table(name) for name in PROBE_TABLES):
        return [], NO_TABLES
    from engine.reliability.kpis import uptime_report
    from engine.reliability.probes import list_probes

    now = now or datetime.now(UTC)
    views = list_probes(store)
    if not views:
        return [], NO_PROBES
    uptimes = uptime_report(store, now - timedelta(hours=24), now, now=now).target_uptime()
    out = []
    for v in views:
        out.append(
            ProbeState(
                v.name,
                _state(v.paused, v.last_ok, v.last_checked_at, v.interval_seconds, now),
                v.last_checked_at,
                uptimes.get(v.name),
            )
        )
    return out, None


def health_overlay(
    store: Store, components: Iterable[Mapping[str, Any]], *, now: datetime | None = None
) -> HealthOverlay:
    """The overlay for a model from the store's probes (honest when there are none)."""
    states, reason = probe_states(store, now=now)
    if reason is not None:
        return HealthOverlay(False, reason)
    return overlay(components, states)


# --------------------------------------------------------------------------- internals


def _key(text: str) -> str:
    return derive_id(text)


def _candidates(c: Mapping[str, Any]) -> list[tuple[str, list[str]]]:
    meta = c.get("metadata")
    pinned = meta.get("probe") if isinstance(meta, dict) else None
    path = c.get("github_path")
    segments = (
        [_key(s) for s in reversed(path.strip("/").split("/")) if s]
        if isinstance(path, str)
        else []
    )
    name = c.get("name")
    return [
        ("metadata", [_key(pinned)] if isinstance(pinned, str) and pinned else []),
        ("id", [_key(c["id"])]),
        ("name", [_key(name)] if isinstance(name, str) and name else []),
        ("github_path", segments),
    ]


def _state(
    paused: bool,
    last_ok: bool | None,
    last_checked_at: datetime | None,
    interval_seconds: float | None,
    now: datetime,
) -> str:
    """up/down by the latest recent check; else paused, or stale when checks stopped coming.

    A paused probe with fresh results (imported history, a probe paused a minute ago) still
    says what those results say.
    """
    if last_checked_at is None or last_ok is None:
        return PAUSED if paused else NO_DATA
    if last_checked_at.tzinfo is None:
        last_checked_at = last_checked_at.replace(tzinfo=UTC)
    allowed = max(3 * (interval_seconds or 60), 300)
    if (now - last_checked_at).total_seconds() > allowed:
        return PAUSED if paused else STALE
    return UP if last_ok else DOWN
