"""The model as a graph: nodes placed in layers, edges for dependencies and data flows.

The layout is computed once on the whole model and filters only hide nodes, so a component
stays where it was while someone narrows the view, and two versions of one model (a diff)
line up. Layers stack top to bottom in the order a request travels (frontend first).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

KNOWN_LAYERS: tuple[str, ...] = (
    "frontend",
    "gateway",
    "services",
    "data",
    "infrastructure",
    "security",
)
UNASSIGNED = "unassigned"
STATUSES: tuple[str, ...] = ("active", "planned", "deprecated", "inactive")
UNKNOWN_STATUS = "unknown"
STATUS_COLOURS: dict[str, str] = {
    "active": "#2E9E5B",
    "planned": "#2F6FEB",
    "deprecated": "#D98E04",
    "inactive": "#8A8F98",
    UNKNOWN_STATUS: "#B04FC9",
}
DEPENDENCY = "dependency"  # edge type of a dependency no connection describes

# Layout constants (plot units): 2D bands and 3D layer planes.
NODE_GAP = 1.0
ROW_GAP = 0.7
BAND_GAP = 1.3
LAYER_Z_GAP = 2.0
GRID_GAP = 1.8  # 3D: nodes of a layer spread on its plane

Role = str  # "focus" | "dependency" | "dependent"


@dataclass(frozen=True, slots=True)
class GraphFilter:
    """Which components to show; an empty set means "no restriction" on that axis."""

    layers: frozenset[str] = frozenset()
    statuses: frozenset[str] = frozenset()
    technologies: frozenset[str] = frozenset()

    @classmethod
    def of(
        cls,
        layers: Iterable[str] = (),
        statuses: Iterable[str] = (),
        technologies: Iterable[str] = (),
    ) -> GraphFilter:
        return cls(frozenset(layers), frozenset(statuses), frozenset(technologies))

    @property
    def active(self) -> bool:
        return bool(self.layers or self.statuses or self.technologies)

    def keeps(self, node: Node) -> bool:
        if self.layers and node.layer not in self.layers:
            return False
        if self.statuses and node.status not in self.statuses:
            return False
        return not self.technologies or not self.technologies.isdisjoint(node.technologies)


@dataclass(eq=False, slots=True)
class Node:
    """A component with its place in the layout (2D: x2/y2, 3D: x/y/z)."""

    id: str
    name: str
    layer: str
    level: int  # index of its layer, 0 = top
    status: str
    version: str
    technologies: tuple[str, ...]
    github_path: str | None
    component: dict[str, Any]  # the component as the document has it (hover, tables)
    dependencies: list[str] = field(default_factory=list)  # outgoing (it uses them)
    dependents: list[str] = field(default_factory=list)  # incoming (they use it)
    x: float = 0.0
    y: float = 0.0
    z: float = 0.0
    x2: float = 0.0
    y2: float = 0.0

    @property
    def degree(self) -> int:
        """Dependencies plus dependents: how central the component is (drives its size)."""
        return len(self.dependencies) + len(self.dependents)

    @property
    def colour(self) -> str:
        return STATUS_COLOURS.get(self.status, STATUS_COLOURS[UNKNOWN_STATUS])


@dataclass(frozen=True, slots=True)
class Edge:
    """source uses target: the arrow is the direction requests and data flow."""

    source: str
    target: str
    type: str
    protocol: str | None = None
    declared: bool = False  # from `connections`; False for a bare dependency

    @property
    def label(self) -> str:
        parts = [f"{self.source} → {self.target}", self.type]
        if self.protocol:
            parts.append(self.protocol)
        return " · ".join(parts)


@dataclass(slots=True)
class Graph:
    """Visible nodes and edges plus what the filters and search need to offer."""

    nodes: list[Node]
    edges: list[Edge]
    layers: list[str]  # every layer of the model, top to bottom
    total: int  # components in the model, before filters
    technologies: list[str]  # every technology in the model (filter options)
    statuses: list[str]  # every status in the model
    highlight: dict[str, Role] = field(default_factory=dict)
    matches: list[str] = field(default_factory=list)  # ids the search found
    _index: dict[str, Node] = field(default_factory=dict)

    def node(self, node_id: str) -> Node | None:
        if not self._index:
            self._index = {n.id: n for n in self.nodes}
        return self._index.get(node_id)

    @property
    def ids(self) -> list[str]:
        return [n.id for n in self.nodes]


def build_graph(
    document: Mapping[str, Any],
    *,
    filters: GraphFilter | None = None,
    search: str | None = None,
    transitive: bool = False,
) -> Graph:
    """Lay out the whole model, then apply filters and search.

    `search` finds components by id or name (exact first, else substring, case-insensitive)
    and highlights them with their dependencies and dependents (direct ones, or the whole
    chains when `transitive`).
    """
    nodes, edges, layers = layout(document)
    technologies = sorted({t for n in nodes for t in n.technologies})
    statuses = sorted({n.status for n in nodes}, key=_status_order)
    total = len(nodes)
    if filters is not None and filters.active:
        nodes = [n for n in nodes if filters.keeps(n)]
        kept = {n.id for n in nodes}
        edges = [e for e in edges if e.source in kept and e.target in kept]
    graph = Graph(nodes, edges, layers, total, technologies, statuses)
    if search and search.strip():
        graph.matches = find(graph, search)
        graph.highlight = neighbourhood(graph, graph.matches, transitive=transitive)
    return graph


def layout(document: Mapping[str, Any]) -> tuple[list[Node], list[Edge], list[str]]:
    """All nodes with positions, all edges, and the layers top to bottom."""
    nodes = _nodes(document.get("components") or [])
    index = {n.id: n for n in nodes}
    edges = _edges(document, index)
    for e in edges:
        src, dst = index[e.source], index[e.target]
        if e.target not in src.dependencies:
            src.dependencies.append(e.target)
        if e.source not in dst.dependents:
            dst.dependents.append(e.source)
    layers = _layer_order({n.layer for n in nodes})
    level = {name: i for i, name in enumerate(layers)}
    by_layer: dict[str, list[Node]] = defaultdict(list)
    for n in nodes:
        n.level = level[n.layer]
        by_layer[n.layer].append(n)
    ordered = _order_layers([sorted(by_layer[name], key=lambda n: n.id) for name in layers])
    _place(ordered, len(nodes))
    return nodes, edges, layers


def find(graph: Graph, query: str) -> list[str]:
    """Ids of components whose id or name matches `query` (exact match wins)."""
    q = query.strip().casefold()
    if not q:
        return []
    exact = [n.id for n in graph.nodes if q in (n.id.casefold(), n.name.casefold())]
    if exact:
        return exact
    return [n.id for n in graph.nodes if q in n.id.casefold() or q in n.name.casefold()]


def neighbourhood(graph: Graph, ids: Iterable[str], *, transitive: bool = False) -> dict[str, Role]:
    """Roles for highlighting: the found components, what they use and what uses them."""
    roles: dict[str, Role] = {}
    focus = [i for i in ids if graph.node(i) is not None]
    visible = {n.id for n in graph.nodes}
    for attr, role in (("dependencies", "dependency"), ("dependents", "dependent")):
        frontier = list(focus)
        seen = set(focus)
        while frontier:
            nxt = []
            for node_id in frontier:
                node = graph.node(node_id)
                for other in getattr(node, attr) if node else ():
                    if other in seen or other not in visible:
                        continue
                    seen.add(other)
                    roles.setdefault(other, role)
                    nxt.append(other)
            frontier = nxt if transitive else []
    for node_id in focus:
        roles[node_id] = "focus"
    return roles


def component_rows(graph: Graph, health: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """One flat row per visible component (tables, CSV); lists joined with ", "."""
    rows = []
    for n in graph.nodes:
        row = {
            "id": n.id,
            "name": n.name,
            "layer": n.layer,
            "status": n.status,
            "version": n.version,
            "technologies": ", ".join(n.technologies),
            "dependencies": ", ".join(sorted(n.dependencies)),
            "dependents": ", ".join(sorted(n.dependents)),
            "github_path": n.github_path or "",
        }
        if health is not None:
            status = health.get(n.id)
            row["health"] = status.state if status else ""
            row["probe"] = status.probe if status else ""
        rows.append(row)
    return rows


def hover_text(component: Mapping[str, Any], limit: int = 80) -> str:
    """A component's fields as hover lines (HTML line breaks), long values shortened."""
    lines = [f"<b>{_text(component.get('name') or component.get('id'))}</b>"]
    for key in sorted(component):
        if key == "name":
            continue
        value = component[key]
        if isinstance(value, list):
            shown = ", ".join(_text(v) for v in value) or "—"
        elif isinstance(value, dict):
            shown = ", ".join(f"{k}={_text(v)}" for k, v in sorted(value.items())) or "—"
        else:
            shown = _text(value)
        if len(shown) > limit:
            shown = shown[: limit - 1] + "…"
        lines.append(f"{key}: {shown}")
    return "<br>".join(lines)


# --------------------------------------------------------------------------- internals


def _text(value: Any) -> str:
    text = "" if value is None else str(value)
    return text.replace("<", "&lt;").replace(">", "&gt;")


def _status_order(status: str) -> tuple[int, str]:
    return (STATUSES.index(status) if status in STATUSES else len(STATUSES), status)


def _str(value: Any, default: str) -> str:
    return value.strip() if isinstance(value, str) and value.strip() else default


def _nodes(components: Iterable[Any]) -> list[Node]:
    nodes: list[Node] = []
    seen: set[str] = set()
    for c in components:
        if not isinstance(c, dict):
            continue
        cid = c.get("id")
        if not isinstance(cid, str) or not cid or cid in seen:
            continue  # an invalid document: the sync engine's validation reports it
        seen.add(cid)
        techs = c.get("technologies")
        path = c.get("github_path")
        nodes.append(
            Node(
                id=cid,
                name=_str(c.get("name"), cid),
                layer=_str(c.get("layer"), UNASSIGNED).lower(),
                level=0,
                status=_str(c.get("status"), UNKNOWN_STATUS).lower(),
                version=_str(c.get("version"), ""),
                technologies=tuple(t for t in techs if isinstance(t, str))
                if isinstance(techs, list)
                else (),
                github_path=path if isinstance(path, str) and path else None,
                component=c,
            )
        )
    return nodes


def _edges(document: Mapping[str, Any], index: Mapping[str, Node]) -> list[Edge]:
    """Declared connections, plus a plain edge for each dependency no connection covers."""
    edges: dict[tuple[str, str, str], Edge] = {}
    covered: set[tuple[str, str]] = set()
    for conn in document.get("connections") or []:
        if not isinstance(conn, dict):
            continue
        src, dst = conn.get("from"), conn.get("to")
        if src not in index or dst not in index or src == dst:
            continue
        kind = _str(conn.get("type"), "data_flow")
        protocol = conn.get("protocol")
        edges[(src, dst, kind)] = Edge(
            src, dst, kind, protocol if isinstance(protocol, str) else None, declared=True
        )
        covered.add((src, dst))
    for node in index.values():
        deps = node.component.get("dependencies")
        for dep in deps if isinstance(deps, list) else ():
            if dep in index and dep != node.id and (node.id, dep) not in covered:
                covered.add((node.id, dep))
                edges[(node.id, dep, DEPENDENCY)] = Edge(node.id, dep, DEPENDENCY)
    return list(edges.values())


def _layer_order(present: set[str]) -> list[str]:
    known = [name for name in KNOWN_LAYERS if name in present]
    extra = sorted(present - set(KNOWN_LAYERS) - {UNASSIGNED})
    return known + extra + ([UNASSIGNED] if UNASSIGNED in present else [])


def _order_layers(layers: list[list[Node]]) -> list[list[Node]]:
    """Barycenter ordering (two sweeps): neighbours sit near each other, fewer crossings."""
    position: dict[str, float] = {}
    for nodes in layers:
        for i, n in enumerate(nodes):
            position[n.id] = i - (len(nodes) - 1) / 2

    def sweep(order: Iterable[int]) -> None:
        for li in order:
            nodes = layers[li]

            def key(n: Node) -> tuple[float, str]:
                near = [position[o] for o in (*n.dependencies, *n.dependents) if o in position]
                return (sum(near) / len(near) if near else position[n.id], n.id)

            nodes.sort(key=key)
            for i, n in enumerate(nodes):
                position[n.id] = i - (len(nodes) - 1) / 2

    sweep(range(1, len(layers)))
    sweep(range(len(layers) - 2, -1, -1))
    return layers


def _place(layers: list[list[Node]], total: int) -> None:
    """2D: bands top to bottom, wrapped rows; 3D: a grid per layer plane on the z axis."""
    row_width = max(16, math.ceil(math.sqrt(total) * 2))
    top = 0.0
    count = len(layers)
    for nodes in layers:
        rows = max(1, math.ceil(len(nodes) / row_width))
        for i, n in enumerate(nodes):
            row, col = divmod(i, row_width)
            in_row = min(row_width, len(nodes) - row * row_width)
            n.x2 = (col - (in_row - 1) / 2) * NODE_GAP
            n.y2 = -(top + row * ROW_GAP)
        top += (rows - 1) * ROW_GAP + BAND_GAP
        cols = max(1, math.ceil(math.sqrt(len(nodes))))
        grid_rows = max(1, math.ceil(len(nodes) / cols))
        for i, n in enumerate(nodes):
            r, c = divmod(i, cols)
            n.x = (c - (cols - 1) / 2) * GRID_GAP
            n.y = (r - (grid_rows - 1) / 2) * GRID_GAP
            n.z = (count - 1 - n.level) * LAYER_Z_GAP
