"""Plotly figures of a model graph: a 3D view (layers on z) and a 2D layered diagram.

Nodes are grouped into a handful of traces (one per colour category, dimmed or not), and
all edges go into one line trace with gaps, so a 2,000-component model is a few traces of
arrays rather than thousands of objects: cheap to build, serialize and draw. Colours come
from a named theme that matches .streamlit/config.toml, so the page passes the theme the
viewer has (st.context.theme) and exports pass the one asked for.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import plotly.graph_objects as go

from .graph import (
    NODE_GAP,
    STATUS_COLOURS,
    STATUSES,
    UNKNOWN_STATUS,
    Edge,
    Graph,
    Node,
    hover_text,
)
from .health import UNMATCHED_COLOUR, HealthOverlay

ColourBy = Literal["status", "health", "diff"]
DIFF_COLOURS = {"added": "#2E9E5B", "changed": "#D98E04", "removed": "#D64545"}
DIFF_SYMBOLS_2D = {"added": "diamond", "changed": "circle", "removed": "x"}
DIFF_SYMBOLS_3D = {"added": "diamond", "changed": "circle", "removed": "x"}
LABEL_LIMIT = 300  # above this many nodes, labels would only be noise
EDGE_LABEL_LIMIT = 30  # above this, protocols only on hover and on highlighted edges
ANIMATION_EDGE_LIMIT = 400
ANIMATION_FRAMES = 16


@dataclass(frozen=True)
class Theme:
    """Figure colours; keep in step with [theme.light]/[theme.dark] in config.toml."""

    name: str
    background: str
    panel: str
    text: str
    muted_text: str
    grid: str
    edge: str
    edge_highlight: str
    focus: str
    layer_fill: str
    dimmed: str


THEMES: dict[str, Theme] = {
    "light": Theme(
        "light",
        background="#FFFFFF",
        panel="#F3F5F9",
        text="#1F2430",
        muted_text="#5B6475",
        grid="#E1E5EC",
        edge="#A3ABBA",
        edge_highlight="#2F6FEB",
        focus="#2F6FEB",
        layer_fill="rgba(47,111,235,0.05)",
        dimmed="#D5D9E0",
    ),
    "dark": Theme(
        "dark",
        background="#0E1117",
        panel="#1A1F2B",
        text="#E6E9EF",
        muted_text="#9AA3B2",
        grid="#2A3140",
        edge="#5D677A",
        edge_highlight="#5B8DEF",
        focus="#5B8DEF",
        layer_fill="rgba(91,141,239,0.07)",
        dimmed="#394151",
    ),
}


def theme_of(name: str | None) -> Theme:
    """The named theme; anything unknown (None, "auto") falls back to light."""
    return THEMES.get((name or "light").lower(), THEMES["light"])


@dataclass(frozen=True)
class _Category:
    key: str
    label: str
    colour: str
    symbol: str = "circle"
    order: int = 0


def figure_3d(
    graph: Graph,
    *,
    theme: str | None = "light",
    colour_by: ColourBy = "status",
    health: HealthOverlay | None = None,
    diff: Mapping[str, str] | None = None,
    animate: bool = False,
    title: str | None = None,
    height: int = 720,
) -> go.Figure:
    """Nodes on layer planes stacked on z (top layer highest), edges with direction cones."""
    t = theme_of(theme)
    cats = _categorize(graph, colour_by, health, diff, three_d=True)
    traces: list[Any] = [_layer_planes(graph, t), layer_labels_3d(graph, t)]
    lines, hot_lines = _edge_lines(graph, three_d=True)
    traces.append(_line_trace3d(lines, t.edge, 2, "connections"))
    if hot_lines[0]:
        traces.append(_line_trace3d(hot_lines, t.edge_highlight, 5, "highlighted connections"))
    if graph.edges:
        traces.append(_cones(graph, t))
        traces.append(_edge_hover(graph, t, three_d=True))
    traces.extend(_node_traces(graph, cats, t, three_d=True, health=health, diff=diff))
    frames: list[go.Frame] = []
    if animate and 0 < len(graph.edges) <= ANIMATION_EDGE_LIMIT:
        traces.append(_packets(graph, 0, t, three_d=True))
        frames = _frames(graph, len(traces) - 1, t, three_d=True)
    axis = {
        "showbackground": False,
        "showgrid": False,
        "zeroline": False,
        "showticklabels": False,
        "title": {"text": ""},
        "showspikes": False,
    }
    layout: dict[str, Any] = {
        **_base_layout(t, title, height),
        "scene": {
            "xaxis": axis,
            "yaxis": axis,
            "zaxis": axis,
            "bgcolor": t.background,
            "aspectmode": "manual",
            "aspectratio": _aspect(graph),
            "camera": {"eye": {"x": 1.35, "y": 1.35, "z": 0.75}},
        },
    }
    if frames:
        layout["updatemenus"] = [_play_button(t)]
    return go.Figure(data=traces, layout=layout, frames=frames or None)


def figure_2d(
    graph: Graph,
    *,
    theme: str | None = "light",
    colour_by: ColourBy = "status",
    health: HealthOverlay | None = None,
    diff: Mapping[str, str] | None = None,
    animate: bool = False,
    title: str | None = None,
    height: int | None = None,
) -> go.Figure:
    """Layer bands top to bottom, nodes in rows, arrows pointing where requests go."""
    t = theme_of(theme)
    cats = _categorize(graph, colour_by, health, diff, three_d=False)
    lines, hot_lines = _edge_lines(graph, three_d=False)
    traces: list[Any] = [_line_trace2d(lines, t.edge, 1.2, "connections")]
    if hot_lines[0]:
        traces.append(_line_trace2d(hot_lines, t.edge_highlight, 2.5, "highlighted connections"))
    if graph.edges:
        traces.append(_arrows(graph, t))
        traces.append(_edge_hover(graph, t, three_d=False))
    traces.extend(_node_traces(graph, cats, t, three_d=False, health=health, diff=diff))
    frames: list[go.Frame] = []
    if animate and 0 < len(graph.edges) <= ANIMATION_EDGE_LIMIT:
        traces.append(_packets(graph, 0, t, three_d=False))
        frames = _frames(graph, len(traces) - 1, t, three_d=False)
    shapes, annotations = _bands(graph, t)
    xs = [n.x2 for n in graph.nodes] or [0.0]
    ys = [n.y2 for n in graph.nodes] or [0.0]
    bands = _band_spans(graph)
    top = max([ys_max for _, ys_max, _ in bands] + [max(ys)]) + 0.5
    bottom = min([ys_min for ys_min, _, _ in bands] + [min(ys)]) - 0.5
    left, right = min(xs) - 2.2, max(xs) + 0.8
    axis = {"visible": False, "showgrid": False, "zeroline": False}
    layout: dict[str, Any] = {
        **_base_layout(t, title, height or max(420, int(110 * len(graph.layers) + 60))),
        "xaxis": {**axis, "range": [left, right]},
        "yaxis": {**axis, "range": [bottom, top], "scaleanchor": "x", "scaleratio": 1},
        "shapes": shapes,
        "annotations": annotations,
        "plot_bgcolor": t.background,
        "hovermode": "closest",
        "dragmode": "pan",
    }
    if frames:
        layout["updatemenus"] = [_play_button(t)]
    return go.Figure(data=traces, layout=layout, frames=frames or None)


# --------------------------------------------------------------------------- colouring


def _categorize(
    graph: Graph,
    colour_by: ColourBy,
    health: HealthOverlay | None,
    diff: Mapping[str, str] | None,
    *,
    three_d: bool,
) -> dict[str, _Category]:
    """Each node's colour category (one legend entry and trace per category)."""
    out: dict[str, _Category] = {}
    symbols = DIFF_SYMBOLS_3D if three_d else DIFF_SYMBOLS_2D
    for n in graph.nodes:
        if colour_by == "diff" and diff is not None:
            kind = diff.get(n.id)
            out[n.id] = (
                _Category(kind, kind, DIFF_COLOURS[kind], symbols[kind], 0)
                if kind in DIFF_COLOURS
                else _Category("unchanged", "unchanged", UNMATCHED_COLOUR, "circle", 1)
            )
        elif colour_by == "health" and health is not None:
            status = health.get(n.id)
            out[n.id] = (
                _Category(status.state, f"probe {status.state}", status.colour, "circle", 0)
                if status
                else _Category("no_probe", "no probe", UNMATCHED_COLOUR, "circle", 1)
            )
        else:
            status = n.status if n.status in STATUSES else UNKNOWN_STATUS
            order = STATUSES.index(status) if status in STATUSES else len(STATUSES)
            out[n.id] = _Category(status, status, STATUS_COLOURS[status], "circle", order)
    return out


def _node_traces(
    graph: Graph,
    cats: Mapping[str, _Category],
    t: Theme,
    *,
    three_d: bool,
    health: HealthOverlay | None,
    diff: Mapping[str, str] | None,
) -> list[Any]:
    """One trace per (category, dimmed): 3D markers take one opacity per trace only."""
    searching = bool(graph.highlight) or bool(graph.matches)
    labels = len(graph.nodes) <= LABEL_LIMIT
    groups: dict[tuple[str, bool], list[Node]] = {}
    for n in graph.nodes:
        dim = searching and n.id not in graph.highlight
        groups.setdefault((cats[n.id].key, dim), []).append(n)
    first: dict[str, _Category] = {}
    for n in graph.nodes:
        first.setdefault(cats[n.id].key, cats[n.id])
    ordered = sorted(groups, key=lambda k: (k[1], first[k[0]].order, first[k[0]].label))
    traces = []
    shown: set[str] = set()
    for key, dim in ordered:
        nodes = groups[(key, dim)]
        cat = first[key]
        sizes = [
            _size(n, three_d) + (6 if graph.highlight.get(n.id) == "focus" else 0) for n in nodes
        ]
        line_colours = [
            t.focus if graph.highlight.get(n.id) == "focus" else t.background for n in nodes
        ]
        marker: dict[str, Any] = {
            "size": sizes,
            "color": cat.colour,
            "symbol": cat.symbol,
            "opacity": 0.25 if dim else 0.95,
            "line": {"color": line_colours, "width": 3 if three_d else 2},
        }
        hovers = [_node_hover(n, graph, health, diff) for n in nodes]
        common: dict[str, Any] = {
            "name": cat.label,
            "legendgroup": cat.key,
            "showlegend": cat.key not in shown,
            "customdata": [n.id for n in nodes],
            "hovertext": hovers,
            "hoverinfo": "text",
            "marker": marker,
            "mode": "markers+text" if labels else "markers",
            "text": [n.name for n in nodes] if labels else None,
            "textfont": {"color": t.muted_text if dim else t.text, "size": 11},
        }
        shown.add(cat.key)
        if three_d:
            traces.append(
                go.Scatter3d(
                    x=[n.x for n in nodes],
                    y=[n.y for n in nodes],
                    z=[n.z for n in nodes],
                    textposition="top center",
                    **common,
                )
            )
        else:
            # Neighbours in a row alternate label above/below, so long names do not collide.
            positions = [
                "top center" if round(n.x2 / NODE_GAP) % 2 else "bottom center" for n in nodes
            ]
            traces.append(
                go.Scatter(
                    x=[n.x2 for n in nodes],
                    y=[n.y2 for n in nodes],
                    textposition=positions,
                    **common,
                )
            )
    return traces


def _node_hover(
    n: Node, graph: Graph, health: HealthOverlay | None, diff: Mapping[str, str] | None
) -> str:
    extra = [f"links: {len(n.dependencies)} out, {len(n.dependents)} in"]
    role = graph.highlight.get(n.id)
    if role:
        extra.append(f"search: {role}")
    if health is not None:
        status = health.get(n.id)
        extra.append(status.describe() if status else "no probe matches")
    if diff is not None and n.id in diff:
        extra.append(f"diff: {diff[n.id]}")
    return hover_text(n.component) + "<br>" + "<br>".join(extra)


def _size(n: Node, three_d: bool) -> float:
    base, step = (7.0, 3.0) if three_d else (14.0, 4.0)
    return round(min(base + step * math.sqrt(n.degree), base * 3.5), 1)


# --------------------------------------------------------------------------- edges


def _hot(graph: Graph, e: Edge) -> bool:
    return bool(graph.highlight) and e.source in graph.highlight and e.target in graph.highlight


def _edge_lines(
    graph: Graph, *, three_d: bool
) -> tuple[tuple[list[Any], list[Any], list[Any]], tuple[list[Any], list[Any], list[Any]]]:
    """Line coordinates with None gaps: (normal, highlighted), each (xs, ys, zs)."""
    normal: tuple[list[Any], list[Any], list[Any]] = ([], [], [])
    hot: tuple[list[Any], list[Any], list[Any]] = ([], [], [])
    for e in graph.edges:
        a, b = graph.node(e.source), graph.node(e.target)
        if a is None or b is None:
            continue
        xs, ys, zs = hot if _hot(graph, e) else normal
        if three_d:
            xs.extend((a.x, b.x, None))
            ys.extend((a.y, b.y, None))
            zs.extend((a.z, b.z, None))
        else:
            xs.extend((a.x2, b.x2, None))
            ys.extend((a.y2, b.y2, None))
    return normal, hot


def _line_trace3d(
    coords: tuple[list[Any], list[Any], list[Any]], colour: str, width: float, name: str
) -> go.Scatter3d:
    xs, ys, zs = coords
    return go.Scatter3d(
        x=xs,
        y=ys,
        z=zs,
        mode="lines",
        line={"color": colour, "width": width},
        hoverinfo="skip",
        name=name,
        showlegend=False,
    )


def _line_trace2d(
    coords: tuple[list[Any], list[Any], list[Any]], colour: str, width: float, name: str
) -> go.Scatter:
    xs, ys, _ = coords
    return go.Scatter(
        x=xs,
        y=ys,
        mode="lines",
        line={"color": colour, "width": width},
        hoverinfo="skip",
        name=name,
        showlegend=False,
    )


def _along(a: Node, b: Node, share: float, three_d: bool) -> tuple[float, ...]:
    if three_d:
        return (a.x + (b.x - a.x) * share, a.y + (b.y - a.y) * share, a.z + (b.z - a.z) * share)
    return (a.x2 + (b.x2 - a.x2) * share, a.y2 + (b.y2 - a.y2) * share)


def _cones(graph: Graph, t: Theme) -> go.Cone:
    """Direction of each edge in 3D: a small cone three quarters of the way along."""
    pts: list[tuple[float, ...]] = []
    dirs: list[tuple[float, float, float]] = []
    for e in graph.edges:
        a, b = graph.node(e.source), graph.node(e.target)
        if a is None or b is None:
            continue
        pts.append(_along(a, b, 0.75, True))
        dx, dy, dz = b.x - a.x, b.y - a.y, b.z - a.z
        length = math.sqrt(dx * dx + dy * dy + dz * dz) or 1.0
        dirs.append((dx / length, dy / length, dz / length))
    return go.Cone(
        x=[p[0] for p in pts],
        y=[p[1] for p in pts],
        z=[p[2] for p in pts],
        u=[d[0] for d in dirs],
        v=[d[1] for d in dirs],
        w=[d[2] for d in dirs],
        sizemode="absolute",
        sizeref=0.25,
        anchor="tip",
        colorscale=[[0, t.edge], [1, t.edge]],
        showscale=False,
        hoverinfo="skip",
        name="direction",
        showlegend=False,
    )


def _arrows(graph: Graph, t: Theme) -> go.Scatter:
    """Direction of each edge in 2D: a triangle marker rotated along the edge.

    The y axis is anchored to x at 1:1, so data-space angles are screen angles.
    """
    xs, ys, angles, colours = [], [], [], []
    for e in graph.edges:
        a, b = graph.node(e.source), graph.node(e.target)
        if a is None or b is None:
            continue
        x, y = _along(a, b, 0.8, False)
        xs.append(x)
        ys.append(y)
        angles.append(round(math.degrees(math.atan2(b.x2 - a.x2, b.y2 - a.y2)), 1))
        colours.append(t.edge_highlight if _hot(graph, e) else t.edge)
    return go.Scatter(
        x=xs,
        y=ys,
        mode="markers",
        marker={"symbol": "triangle-up", "size": 9, "angle": angles, "color": colours},
        hoverinfo="skip",
        name="direction",
        showlegend=False,
    )


def _edge_hover(graph: Graph, t: Theme, *, three_d: bool) -> Any:
    """Points mid-edge that tell the connection (type, protocol) on hover.

    In 2D small models and highlighted edges also show their protocol as text.
    """
    pts, texts, labels = [], [], []
    few = len(graph.edges) <= EDGE_LABEL_LIMIT
    for e in graph.edges:
        a, b = graph.node(e.source), graph.node(e.target)
        if a is None or b is None:
            continue
        pts.append(_along(a, b, 0.5, three_d))
        texts.append(e.label)
        labels.append(e.protocol or "" if few or _hot(graph, e) else "")
    common: dict[str, Any] = {
        "hovertext": texts,
        "hoverinfo": "text",
        "name": "connections",
        "showlegend": False,
    }
    if three_d:
        return go.Scatter3d(
            x=[p[0] for p in pts],
            y=[p[1] for p in pts],
            z=[p[2] for p in pts],
            mode="markers",
            marker={"size": 2, "color": t.edge, "opacity": 0.5},
            **common,
        )
    return go.Scatter(
        x=[p[0] for p in pts],
        y=[p[1] for p in pts],
        mode="markers+text" if any(labels) else "markers",
        text=labels if any(labels) else None,
        textfont={"color": t.muted_text, "size": 9},
        textposition="middle right",
        marker={"size": 8, "color": t.edge, "opacity": 0.0},
        **common,
    )


# --------------------------------------------------------------------------- animation


def _packets(graph: Graph, step: int, t: Theme, *, three_d: bool) -> Any:
    """One dot per connection, `step`/ANIMATION_FRAMES of the way along it."""
    share = step / ANIMATION_FRAMES
    pts = []
    for e in graph.edges:
        a, b = graph.node(e.source), graph.node(e.target)
        if a is not None and b is not None:
            pts.append(_along(a, b, share, three_d))
    common: dict[str, Any] = {
        "mode": "markers",
        "hoverinfo": "skip",
        "name": "data flow",
        "showlegend": False,
    }
    if three_d:
        return go.Scatter3d(
            x=[p[0] for p in pts],
            y=[p[1] for p in pts],
            z=[p[2] for p in pts],
            marker={"size": 3, "color": t.edge_highlight},
            **common,
        )
    return go.Scatter(
        x=[p[0] for p in pts],
        y=[p[1] for p in pts],
        marker={"size": 6, "color": t.edge_highlight},
        **common,
    )


def _frames(graph: Graph, index: int, t: Theme, *, three_d: bool) -> list[go.Frame]:
    return [
        go.Frame(data=[_packets(graph, k, t, three_d=three_d)], traces=[index], name=str(k))
        for k in range(ANIMATION_FRAMES + 1)
    ]


def _play_button(t: Theme) -> dict[str, Any]:
    return {
        "type": "buttons",
        "showactive": False,
        "x": 0.0,
        "y": 1.08,
        "xanchor": "left",
        "bgcolor": t.panel,
        "font": {"color": t.text},
        "buttons": [
            {
                "label": "▶ data flow",
                "method": "animate",
                "args": [
                    None,
                    {
                        "frame": {"duration": 90, "redraw": True},
                        "transition": {"duration": 0},
                        "fromcurrent": False,
                        "mode": "immediate",
                    },
                ],
            }
        ],
    }


# --------------------------------------------------------------------------- layers


def _band_spans(graph: Graph) -> list[tuple[float, float, str]]:
    """(bottom, top, layer) of each layer band that has visible nodes."""
    spans: dict[str, list[float]] = {}
    for n in graph.nodes:
        spans.setdefault(n.layer, []).append(n.y2)
    out = []
    for layer in graph.layers:
        ys = spans.get(layer)
        if ys:
            out.append((min(ys) - 0.45, max(ys) + 0.45, layer))
    return out


def _bands(graph: Graph, t: Theme) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    xs = [n.x2 for n in graph.nodes] or [0.0]
    left, right = min(xs) - 2.1, max(xs) + 0.7
    shapes, notes = [], []
    for bottom, top, layer in _band_spans(graph):
        shapes.append(
            {
                "type": "rect",
                "x0": left,
                "x1": right,
                "y0": bottom,
                "y1": top,
                "fillcolor": t.layer_fill,
                "line": {"width": 0},
                "layer": "below",
            }
        )
        notes.append(
            {
                "x": left + 0.1,
                "y": (bottom + top) / 2,
                "text": f"<b>{layer}</b>",
                "showarrow": False,
                "xanchor": "left",
                "font": {"color": t.muted_text, "size": 12},
            }
        )
    return shapes, notes


def _layer_planes(graph: Graph, t: Theme) -> go.Mesh3d:
    """A faint square under each layer's nodes, so the stack reads as layers."""
    xs, ys, zs, i, j, k = [], [], [], [], [], []
    by_layer: dict[str, list[Node]] = {}
    for n in graph.nodes:
        by_layer.setdefault(n.layer, []).append(n)
    for layer in graph.layers:
        nodes = by_layer.get(layer)
        if not nodes:
            continue
        x0, x1 = min(n.x for n in nodes) - 0.6, max(n.x for n in nodes) + 0.6
        y0, y1 = min(n.y for n in nodes) - 0.6, max(n.y for n in nodes) + 0.6
        z = nodes[0].z
        base = len(xs)
        xs.extend((x0, x1, x1, x0))
        ys.extend((y0, y0, y1, y1))
        zs.extend((z, z, z, z))
        i.extend((base, base))
        j.extend((base + 1, base + 2))
        k.extend((base + 2, base + 3))
    return go.Mesh3d(
        x=xs,
        y=ys,
        z=zs,
        i=i,
        j=j,
        k=k,
        color=t.focus,
        opacity=0.07,
        hoverinfo="skip",
        name="layers",
        showlegend=False,
        flatshading=True,
    )


def layer_labels_3d(graph: Graph, t: Theme) -> go.Scatter3d:
    """Layer names at each plane's corner."""
    by_layer: dict[str, list[Node]] = {}
    for n in graph.nodes:
        by_layer.setdefault(n.layer, []).append(n)
    xs, ys, zs, texts = [], [], [], []
    for layer in graph.layers:
        nodes = by_layer.get(layer)
        if not nodes:
            continue
        xs.append(min(n.x for n in nodes) - 0.6)
        ys.append(min(n.y for n in nodes) - 0.6)
        zs.append(nodes[0].z)
        texts.append(f"<b>{layer}</b>")
    return go.Scatter3d(
        x=xs,
        y=ys,
        z=zs,
        mode="text",
        text=texts,
        textfont={"color": t.muted_text, "size": 12},
        hoverinfo="skip",
        showlegend=False,
        name="layer names",
    )


def _aspect(graph: Graph) -> dict[str, float]:
    if not graph.nodes:
        return {"x": 1.0, "y": 1.0, "z": 0.7}
    span_x = max(n.x for n in graph.nodes) - min(n.x for n in graph.nodes) + 1.2
    span_y = max(n.y for n in graph.nodes) - min(n.y for n in graph.nodes) + 1.2
    span_z = max(n.z for n in graph.nodes) - min(n.z for n in graph.nodes) + 1.0
    biggest = max(span_x, span_y)
    return {
        "x": round(span_x / biggest, 3),
        "y": round(span_y / biggest, 3),
        "z": round(min(1.0, max(0.6, span_z / biggest)), 3),
    }


def _base_layout(t: Theme, title: str | None, height: int) -> dict[str, Any]:
    return {
        "template": "plotly_dark" if t.name == "dark" else "plotly_white",
        "paper_bgcolor": t.background,
        "font": {"color": t.text, "family": "Inter, DejaVu Sans, sans-serif"},
        "title": {"text": title or "", "x": 0.01, "font": {"size": 16}},
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 50 if title else 30, "b": 10},
        "legend": {
            "orientation": "h",
            "yanchor": "bottom",
            "y": 1.0,
            "xanchor": "right",
            "x": 1.0,
            "bgcolor": "rgba(0,0,0,0)",
        },
        "hoverlabel": {"bgcolor": t.panel, "font": {"color": t.text}, "align": "left"},
        "uirevision": "architecture",  # keep camera/zoom across reruns of the page
    }
