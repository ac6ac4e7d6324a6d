"""AppTest of the Incidents and Launch pages: honest when empty, data once there is some."""

from __future__ import annotations

from engine.launch import control, incidents
from engine.store import Store
from tests.actors import ADMIN
from tests.pages.harness import assert_clean, open_page


def _text(at) -> str:  # type: ignore[no-untyped-def]
    parts = [m.value for m in at.markdown] + [i.value for i in at.info]
    parts += [c.value for c in at.caption] + [e.value for e in at.error]
    parts += [w.value for w in at.warning] + [s.value for s in at.success]
    return "\n".join(str(p) for p in parts)


def test_incidents_page_empty_then_with_data(store: Store) -> None:
    at = open_page("incidents.py")
    assert_clean(at)
    assert at.title[0].value == "Incidents"
    assert "hub incident open" in _text(at)
    incidents.open_incident(store, ADMIN, "Checkout failing", "SEV1")
    incidents.annotate(store, ADMIN, "deploy v9")
    at = open_page("incidents.py")
    assert_clean(at)
    assert any(m.value == "1" for m in at.metric if m.label == "Open SEV1")
    assert "Checkout failing" in "".join(e.label for e in at.expander)


def test_launch_page_shows_rollback_banner(store: Store) -> None:
    at = open_page("launch.py")
    assert_clean(at)
    assert at.title[0].value == "Launch"
    incidents.open_incident(store, ADMIN, "Leak", "SEV1", category="security_breach")
    at = open_page("launch.py")
    assert_clean(at)
    assert "Rollback recommended" in _text(at)


def test_launch_page_records_a_decision(store: Store) -> None:
    at = open_page("launch.py")
    next(b for b in at.button if b.label == "Record decision").click().run()
    assert_clean(at)
    assert control.list_decisions(store)[0]["decided_by"] == "local-admin"
