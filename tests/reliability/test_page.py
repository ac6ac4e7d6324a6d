"""AppTest of the Reliability page: honest when empty, data shown once there is some."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from engine.reliability.ingest import import_probe_records, import_request_records
from engine.reliability.probes import add_probe
from engine.store import Store
from tests.actors import ADMIN
from tests.pages.harness import assert_clean, open_page
from tests.reliability.helpers import check, request


def _text(at) -> str:  # type: ignore[no-untyped-def]
    parts = [m.value for m in at.markdown] + [i.value for i in at.info]
    parts += [c.value for c in at.caption] + [str(m.value) for m in at.metric]
    return "\n".join(str(p) for p in parts)


def test_empty_page_says_how_to_add_data(store: Store) -> None:
    at = open_page("reliability.py")
    assert_clean(at)
    assert at.title[0].value == "Reliability"
    assert "hub probe add" in _text(at)


def test_page_shows_targets_timeline_and_latency(store: Store) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    add_probe(store, ADMIN, "api", "https://api.example/", interval="60s", critical=True)
    checks = []
    for m in range(0, 6 * 60):
        when = now - timedelta(minutes=6 * 60 - m)
        checks.append(check("api", "2026-01-01 00:00", m not in (30, 31))._replace(checked_at=when))
    import_probe_records(store, ADMIN, checks)
    import_request_records(
        store,
        ADMIN,
        [
            request(now - timedelta(minutes=i), 500 if i % 50 == 0 else 200, 5.0 + i % 40)
            for i in range(1, 300)
        ],
    )
    at = open_page("reliability.py", {"range": "7d"})
    assert_clean(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Outages"] == "1"
    assert metrics["Uptime"].endswith("%") and metrics["Uptime"] != "—"
    assert metrics["Error rate"] != "—"
    assert len(at.get("plotly_chart")) >= 3
    frames = [d.value for d in at.dataframe]
    assert any("api" in f["target"].tolist() for f in frames if "target" in f.columns)
    assert at.get("download_button")


def test_overview_tiles_are_honest_then_show_values(store: Store) -> None:
    at = open_page("overview.py")
    assert_clean(at)
    captions = "\n".join(c.value for c in at.caption)
    assert "no probes yet: add one with `hub probe add NAME --url URL`" in captions
    assert "no request logs yet" in captions

    now = datetime.now(UTC).replace(second=0, microsecond=0)
    add_probe(store, ADMIN, "api", "https://api.example/", interval="60s", critical=True)
    minutes = [now - timedelta(minutes=m) for m in range(1, 120)]
    import_probe_records(
        store,
        ADMIN,
        [check("api", "2026-01-01 00:00", True)._replace(checked_at=t) for t in minutes],
    )
    import_request_records(store, ADMIN, [request(t, 200, 42.0) for t in minutes])
    at = open_page("overview.py")
    assert_clean(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Uptime"] == "100.00 %"
    assert metrics["Error rate"] == "0.00 %"
    assert metrics["API p95 latency"] == "42 ms"
