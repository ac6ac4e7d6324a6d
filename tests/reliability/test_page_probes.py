"""Probes and maintenance windows managed from the Reliability page, as operators."""

from __future__ import annotations

from engine.access import audit
from engine.reliability import probes
from engine.store import Store
from tests.pages.harness import assert_clean, open_page


def _input(at, label: str, value: str) -> None:  # type: ignore[no-untyped-def]
    next(t for t in at.text_input if t.label == label).input(value)


def test_add_and_remove_a_probe_and_declare_maintenance_from_the_page(store: Store) -> None:
    at = open_page("reliability.py")  # empty store: the section is there to start with
    assert_clean(at)
    _input(at, "Name", "api")
    _input(at, "URL", "https://api.example.com/healthz")
    next(c for c in at.checkbox if c.label == "Critical").check()
    next(b for b in at.button if b.label == "Add probe").click()
    at = at.run()
    assert_clean(at)
    (probe,) = [p for p in probes.list_probes(store) if p.configured]
    assert (probe.name, probe.critical, probe.interval_seconds) == ("api", True, 60)

    _input(at, "From", "2026-01-09 02:00")
    _input(at, "To", "2026-01-09 03:00")
    _input(at, "Reason", "db upgrade")
    next(b for b in at.button if b.label == "Declare window").click()
    at = at.run()
    assert_clean(at)
    (window,) = probes.list_maintenance(store)
    assert (window["target"], window["reason"]) == (None, "db upgrade")
    assert window["from"].startswith("2026-01-09T02:00")

    next(b for b in at.button if b.label == "Remove").click()
    at = at.run()
    assert_clean(at)
    assert not [p for p in probes.list_probes(store) if p.configured]
    acts = [r["action"] for r in audit.records(store, action="")[0] if r["channel"] == "dashboard"]
    assert acts == ["probe.remove", "maintenance.add", "probe.add"]


def test_a_bad_url_or_time_is_a_clear_error_and_changes_nothing(store: Store) -> None:
    at = open_page("reliability.py")
    _input(at, "Name", "api")
    _input(at, "URL", "ftp://nope")
    next(b for b in at.button if b.label == "Add probe").click()
    at = at.run()
    assert "is not an http(s) URL" in at.error[0].value
    _input(at, "From", "yesterday-ish")
    _input(at, "To", "2026-01-09 03:00")
    next(b for b in at.button if b.label == "Declare window").click()
    at = at.run()
    assert any("From" in e.value for e in at.error)
    assert probes.list_probes(store) == [] and probes.list_maintenance(store) == []
