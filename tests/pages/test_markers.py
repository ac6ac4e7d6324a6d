"""Incident and deploy markers on every time chart: the helper draws them on a figure, the
engine returns them for a page's range, and the pages pass their charts through it."""

from __future__ import annotations

import ast
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import plotly.graph_objects as go
import pytest

from dashboard.ui import markers
from engine.launch import incidents
from engine.reliability.ingest import import_request_records
from engine.store import Store
from tests.actors import ADMIN
from tests.pages.harness import assert_clean, open_page
from tests.reliability.helpers import at, request

PAGES = Path(__file__).resolve().parents[2] / "pages"
NY = ZoneInfo("America/New_York")
START, END = datetime(2026, 1, 1, tzinfo=NY), datetime(2026, 1, 4, tzinfo=NY)
DEPLOY = {"at": at("2026-01-02 15:00"), "kind": "deploy", "label": "v1.2"}
INCIDENT = {
    "at": at("2026-01-02 16:00"),
    "end": at("2026-01-02 17:30"),
    "kind": "incident",
    "severity": "SEV2",
    "label": "SEV2 Checkout slow",
}


def _figure() -> go.Figure:
    return go.Figure(go.Scatter(x=[datetime(2026, 1, 1), datetime(2026, 1, 3)], y=[1, 2]))


def _shapes(fig: go.Figure) -> list[tuple[str, object, object]]:
    return [(s.type, s.x0, s.x1) for s in fig.layout.shapes]


def test_deploys_are_lines_and_incidents_lines_with_a_span_in_local_time() -> None:
    fig = markers.add_markers(_figure(), [DEPLOY, INCIDENT], tz=NY, start=START, end=END)
    assert _shapes(fig) == [
        ("line", datetime(2026, 1, 2, 10), datetime(2026, 1, 2, 10)),  # 15:00 UTC = 10:00 EST
        ("line", datetime(2026, 1, 2, 11), datetime(2026, 1, 2, 11)),
        ("rect", datetime(2026, 1, 2, 11), datetime(2026, 1, 2, 12, 30)),
    ]
    assert markers.marker_count(fig) == 2
    hover = {t.name: list(t.hovertext) for t in fig.data if t.meta == markers.MARKER_META}
    assert "v1.2" in hover["Deploys"][0] and "2026-01-02 10:00" in hover["Deploys"][0]
    assert (
        "SEV2 Checkout slow" in hover["Incidents"][0]
        and "→ 2026-01-02 12:30" in (hover["Incidents"][0])
    )
    # The hover symbols sit on a hidden overlay axis: the data's y axis is untouched.
    assert fig.layout.yaxis99.overlaying == "y" and fig.layout.yaxis99.visible is False
    assert fig.layout.yaxis.range is None
    fig.to_json()  # serialisable as Streamlit sends it


def test_spans_are_clipped_and_markers_outside_the_range_left_out() -> None:
    early = INCIDENT | {"at": at("2025-12-31 12:00"), "end": at("2026-01-01 07:00")}
    still_open = INCIDENT | {"at": at("2026-01-03 12:00"), "end": None, "label": "SEV1 down"}
    outside = DEPLOY | {"at": at("2026-01-10 00:00")}
    fig = markers.add_markers(_figure(), [early, still_open, outside], tz=NY, start=START, end=END)
    assert _shapes(fig) == [
        ("rect", datetime(2026, 1, 1), datetime(2026, 1, 1, 2)),  # started before: no line
        ("line", datetime(2026, 1, 3, 7), datetime(2026, 1, 3, 7)),
        ("rect", datetime(2026, 1, 3, 7), datetime(2026, 1, 4)),  # open: to the range's end
    ]
    assert markers.marker_count(fig) == 2
    assert markers.add_markers(_figure(), [], tz=NY).layout.shapes == ()


def test_bucketed_charts_get_markers_on_the_bucket_holding_their_day() -> None:
    from engine.revenue.reports import Bucket  # what the Revenue page passes

    buckets = [
        Bucket("2026-W01", date(2025, 12, 29), date(2026, 1, 4)),
        Bucket("2026-W02", date(2026, 1, 5), date(2026, 1, 11)),
    ]
    fig = go.Figure(go.Bar(x=[b.label for b in buckets], y=[1, 2]))
    late = INCIDENT | {"at": at("2026-01-04 12:00"), "end": at("2026-01-06 12:00")}
    markers.add_markers(fig, [DEPLOY, late], tz=NY, buckets=buckets)
    assert _shapes(fig) == [
        ("line", "2026-W01", "2026-W01"),
        ("line", "2026-W01", "2026-W01"),
        ("rect", "2026-W01", "2026-W02"),
    ]


def test_engine_returns_the_markers_of_a_range(store: Store) -> None:
    incidents.annotate(store, ADMIN, "deploy v1.2", at=at("2026-01-02 15:00"))
    incidents.annotate(store, ADMIN, "deploy v0.9", at=at("2025-12-01 15:00"))  # before the range
    earlier = incidents.open_incident(
        store, ADMIN, "Slow", "SEV3", started_at=at("2025-12-31 10:00")
    )
    incidents.resolve_incident(store, ADMIN, earlier["id"], at=at("2026-01-01 10:00"))
    incidents.open_incident(store, ADMIN, "Down", "SEV1", started_at=at("2026-01-02 16:00"))
    got = incidents.chart_markers(store, at("2026-01-01 05:00"), at("2026-01-04 05:00"))
    assert [(m["kind"], m["label"]) for m in got] == [
        ("incident", "SEV3 Slow"),  # overlaps the range: shaded from its start
        ("deploy", "deploy v1.2"),
        ("incident", "SEV1 Down"),
    ]
    assert got[0]["end"] == at("2026-01-01 10:00") and got[2]["end"] is None
    fig = markers.add_markers(
        _figure(), got, tz=NY, start=at("2026-01-01 05:00"), end=at("2026-01-04 05:00")
    )
    assert markers.marker_count(fig) == 3


# Time charts per page: each must go through `with_markers` (charts that are not over
# time — funnels, score distributions, the cohort heatmap, the architecture — are not).
TIME_CHARTS = {
    "reliability.py": 3,  # status timeline, error rate, latency
    "adoption.py": 3,  # active users, lifecycle, signups
    "revenue.py": 1,  # MRR over time
    "customer_voice.py": 1,  # NPS by week
    "funnels.py": 1,  # conversion by week
    "incidents.py": 1,  # incidents and deploys over the period
}


def _with_markers_calls(path: Path) -> int:
    tree = ast.parse(path.read_text())
    return sum(
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "with_markers"
        for node in ast.walk(tree)
    )


@pytest.mark.parametrize("page", sorted(p.name for p in PAGES.glob("*.py")))
def test_every_time_chart_goes_through_the_marker_helper(page: str) -> None:
    assert _with_markers_calls(PAGES / page) == TIME_CHARTS.get(page, 0)


def test_markers_reach_the_reliability_and_incidents_charts(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    import_request_records(
        store, ADMIN, [request(now - timedelta(minutes=i)) for i in range(1, 200)]
    )
    incidents.annotate(store, ADMIN, "deploy v3", at=now - timedelta(hours=2))
    incidents.open_incident(store, ADMIN, "Errors", "SEV2", started_at=now - timedelta(hours=1))
    drawn: list[int] = []
    real = markers.add_markers

    def spy(fig: go.Figure, *args: object, **kwargs: object) -> go.Figure:
        out = real(fig, *args, **kwargs)  # type: ignore[arg-type]
        drawn.append(markers.marker_count(out))
        return out

    monkeypatch.setattr(markers, "add_markers", spy)
    page = open_page("reliability.py", {"range": "24h"})
    assert_clean(page)
    assert drawn == [2, 2]  # error rate and latency (no probes: no status timeline)
    drawn.clear()
    page = open_page("incidents.py", {"range": "24h"})
    assert_clean(page)
    assert drawn == [2]
