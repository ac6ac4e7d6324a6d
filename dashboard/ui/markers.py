"""Incident and deploy markers on every time chart.

The markers come from the engine (`engine.launch.incidents.chart_markers`): deploys and
other annotations are dotted vertical lines, incidents a red line at their start and a
shaded span until they were resolved (or the end of the range while open). A row of
symbols along the top of the plot carries the hover text (shapes have none), one legend
entry per kind so a reader can hide them.

Pages call `with_markers(fig, start, end)` on each time chart; `add_markers` does the
drawing and is tested on figures directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import plotly.graph_objects as go
import streamlit as st

from .common import settings, store

STYLE: dict[str, tuple[str, str, str]] = {
    # kind: (colour, legend name, symbol)
    "incident": ("#d64545", "Incidents", "triangle-down"),
    "deploy": ("#4a7bd0", "Deploys", "diamond"),
    "rollback": ("#e08a00", "Rollbacks", "diamond"),
    "config": ("#8a5cc7", "Config changes", "diamond"),
    "note": ("#777777", "Notes", "circle"),
}
AXIS = "y99"  # a hidden overlay axis (0–1) for the hover symbols, so no data axis moves
MARKER_META = "hub-markers"


class Bucket(Protocol):
    """A labelled calendar bucket of a chart with a category x axis (e.g. 2026-W03)."""

    label: str
    first: date
    last: date


@st.cache_data(ttl=30, show_spinner=False)
def chart_markers(start: str, end: str) -> list[dict[str, Any]]:
    """Incidents and annotations in [start, end) (ISO instants), from the engine."""
    from engine.launch.incidents import chart_markers as markers_between

    return markers_between(store(), datetime.fromisoformat(start), datetime.fromisoformat(end))


def _instant(value: str, tz: ZoneInfo, *, end: bool) -> datetime:
    """An ISO instant, or an ISO date (local midnight; the day after for an inclusive end)."""
    if len(value) == 10:
        day = date.fromisoformat(value) + timedelta(days=1 if end else 0)
        return datetime.combine(day, time(), tz)
    return datetime.fromisoformat(value)


def with_markers(
    fig: go.Figure, start: str, end: str, *, buckets: Sequence[Bucket] | None = None
) -> go.Figure:
    """`fig` with the incidents and deploys of [start, end) (ISO instants or dates)."""
    tz = settings().tz
    first, last = _instant(start, tz, end=False), _instant(end, tz, end=True)
    markers = chart_markers(first.isoformat(), last.isoformat())
    return add_markers(fig, markers, tz=tz, start=first, end=last, buckets=buckets)


def _local(value: datetime, tz: ZoneInfo) -> datetime:
    # Plotly draws wall-clock times: charts show the reporting timezone, so do the markers.
    return value.astimezone(tz).replace(tzinfo=None)


def _bucket_of(value: datetime, tz: ZoneInfo, buckets: Sequence[Bucket]) -> str | None:
    day = value.astimezone(tz).date()
    return next((b.label for b in buckets if b.first <= day <= b.last), None)


def add_markers(
    fig: go.Figure,
    markers: Sequence[dict[str, Any]],
    *,
    tz: ZoneInfo,
    start: datetime | None = None,
    end: datetime | None = None,
    buckets: Sequence[Bucket] | None = None,
) -> go.Figure:
    """Draw `markers` (`chart_markers` rows) on `fig` and return it.

    The x axis holds local wall-clock times, or bucket labels when `buckets` is given (a
    marker goes on the bucket holding its local day). Incident spans are clipped to
    [start, end); markers outside it are left out.
    """
    hover: dict[str, tuple[list[Any], list[str]]] = {}
    for m in markers:
        kind = m["kind"]
        colour = STYLE.get(kind, STYLE["note"])[0]
        at: datetime = m["at"]
        stop: datetime | None = m.get("end") if kind == "incident" else at
        inside = (start is None or at >= start) and (end is None or at < end)
        if kind == "incident":
            span_end = stop or end or at
            if end is not None:
                span_end = min(span_end, end)
            span_start = at if start is None else max(at, start)
            if span_end <= span_start and not inside:
                continue
        elif not inside:
            continue
        when = f"{at.astimezone(tz):%Y-%m-%d %H:%M}"
        if kind == "incident":
            until = f"{stop.astimezone(tz):%Y-%m-%d %H:%M}" if stop else "still open"
            text = f"<b>{m['label']}</b><br>{when} → {until}"
        else:
            text = f"<b>{kind}</b>: {m['label']}<br>{when}"
        if buckets is not None:
            x0 = _bucket_of(at if inside else span_start, tz, buckets)
            if x0 is None:
                continue
            x1 = _bucket_of(span_end, tz, buckets) if kind == "incident" else x0
        else:
            x0 = _local(at if inside else span_start, tz)
            x1 = _local(span_end, tz) if kind == "incident" else x0
        line = {"color": colour, "width": 1.5 if kind == "incident" else 1, "dash": "dot"}
        if inside:
            fig.add_shape(
                type="line", xref="x", yref="paper", x0=x0, x1=x0, y0=0, y1=1, line=line,
                layer="above", name=MARKER_META,
            )  # fmt: skip
        if kind == "incident" and x1 is not None and x1 != x0:
            fig.add_shape(
                type="rect", xref="x", yref="paper", x0=x0, x1=x1, y0=0, y1=1,
                fillcolor=colour, opacity=0.12, line={"width": 0}, layer="below",
                name=MARKER_META,
            )  # fmt: skip
        xs, texts = hover.setdefault(kind, ([], []))
        xs.append(x0)
        texts.append(text)
    for kind, (xs, texts) in hover.items():
        colour, name, symbol = STYLE.get(kind, STYLE["note"])
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=[1.0] * len(xs),
                yaxis=AXIS,
                mode="markers",
                marker={"symbol": symbol, "size": 10, "color": colour},
                name=name,
                legendgroup=MARKER_META,
                hovertext=texts,
                hoverinfo="text",
                meta=MARKER_META,
            )
        )
    if hover:
        fig.update_layout(
            {
                f"yaxis{AXIS[1:]}": {
                    "overlaying": "y",
                    "range": [0, 1.04],
                    "visible": False,
                    "fixedrange": True,
                }
            }
        )
    return fig


def marker_count(fig: go.Figure) -> int:
    """How many markers `add_markers` put on `fig` (hover symbols), for tests and checks."""
    return sum(len(t.x or ()) for t in fig.data if getattr(t, "meta", None) == MARKER_META)
