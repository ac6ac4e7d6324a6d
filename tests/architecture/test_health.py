"""Health overlay: probe matching rules and probe states from the reliability tables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from engine.architecture import health
from engine.architecture.health import ProbeState, match_probes, overlay, probe_states
from engine.reliability.ingest import ProbeRecord, import_probe_records
from engine.reliability.probes import add_probe
from engine.store import Store
from tests.actors import ADMIN
from tests.architecture.helpers import comp


def test_matching_rules_strictest_first() -> None:
    components = [
        comp("identity", name="Identity & Security", metadata={"probe": "auth"}),
        comp("api-gateway", name="API Gateway"),
        comp("billing"),
        comp("web-app", name="Web App", github_path="apps/storefront/"),
        comp("search-index", name="Search Index"),
        comp("search-api", name="Search API"),
        comp("docs-site", name="Docs Site"),
        comp("docs"),
    ]
    probes = ["auth", "api", "billing", "storefront", "search", "docs", "unused"]
    assert match_probes(components, probes) == {
        "identity": ("auth", "metadata"),  # pinned
        "billing": ("billing", "id"),
        "web-app": ("storefront", "github_path"),
        "api-gateway": ("api", "prefix"),  # the only component whose id starts with "api"
        "docs": ("docs", "id"),  # exact match: "docs-site" gets no prefix match then
        # "search" starts two components: ambiguous, so neither is matched
    }


def test_name_match_uses_the_slug_of_the_name() -> None:
    assert match_probes([comp("svc-7", name="Payments Service")], ["payments-service"]) == {
        "svc-7": ("payments-service", "name")
    }
    assert match_probes([comp("a")], []) == {}


def test_overlay_joins_states_and_lists_unused_probes() -> None:
    now = datetime.now(UTC)
    result = overlay(
        [comp("api"), comp("db")],
        [ProbeState("api", "down", now, 0.99), ProbeState("cdn", "up", now, 1.0)],
    )
    assert result.available and result.reason is None
    status = result.get("api")
    assert status is not None and status.state == "down" and status.uptime_24h == 0.99
    assert status.colour == health.HEALTH_COLOURS["down"]
    assert status.describe() == "probe api (id match): down, 24 h uptime 99.000%"
    assert result.get("db") is None and result.unmatched_probes == ["cdn"]
    empty = overlay([comp("api")], [])
    assert not empty.available and empty.reason == health.NO_PROBES


def test_no_probes_configured_is_said_plainly(store: Store) -> None:
    states, reason = probe_states(store)
    assert states == [] and reason == health.NO_PROBES
    result = health.health_overlay(store, [comp("api")])
    assert not result.available and "no probes configured" in (result.reason or "")


def test_missing_tables_or_capability_degrade_honestly(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(health, "PROBE_TABLES", ("probe_targets", "no_such_table"))
    assert probe_states(store) == ([], health.NO_TABLES)
    monkeypatch.setattr(health.importlib.util, "find_spec", lambda name: None)
    assert probe_states(store) == ([], health.NO_RELIABILITY)


def test_probe_states_from_the_reliability_tables(store: Store) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    add_probe(store, ADMIN, "api", "https://api.acme.test/healthz", interval="60s")
    add_probe(store, ADMIN, "web", "https://web.acme.test/", interval="60s")
    add_probe(store, ADMIN, "old", "https://old.acme.test/", interval="60s")
    add_probe(store, ADMIN, "idle", "https://idle.acme.test/", interval="60s", paused=True)
    records = [
        ProbeRecord(name, now - timedelta(minutes=m), ok, 200 if ok else 503, 40.0, None)
        for name, ok in (("api", True), ("web", False))
        for m in range(1, 30)
    ] + [ProbeRecord("old", now - timedelta(hours=3), True, 200, 40.0, None)]
    import_probe_records(store, ADMIN, records)
    states, reason = probe_states(store, now=now)
    assert reason is None
    by_name = {s.name: s for s in states}
    assert by_name["api"].state == "up" and by_name["api"].uptime_24h == pytest.approx(1.0)
    assert by_name["web"].state == "down" and by_name["web"].uptime_24h == pytest.approx(0.0)
    assert by_name["old"].state == "stale"  # checks stopped: not "up"
    assert by_name["idle"].state == "paused"
    result = health.health_overlay(store, [comp("api-gateway"), comp("web"), comp("db")], now=now)
    assert {cid: (s.probe, s.state) for cid, s in result.statuses.items()} == {
        "api-gateway": ("api", "up"),
        "web": ("web", "down"),
    }
