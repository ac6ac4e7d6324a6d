"""Exports of a model version: PNG/SVG of the graph, a PDF report, JSON and CSV.

Images are rendered by kaleido (plotly's own exporter) driving the system's Chromium
(Debian's /usr/bin/chromium, or BROWSER_PATH): kaleido 1.x ships no browser, and this code
never asks it to download one. MathJax is off so rendering needs no network. The PDF is
built with fpdf2 (pure Python) in DejaVu Sans when the system has it, so any script
renders; without DejaVu it falls back to a core font and replaces what Latin-1 lacks.
"""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import os
import shutil
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import plotly.graph_objects as go

from engine.errors import HubError, InputError
from engine.store import Store
from engine.sync.document import canonical_json

from .diff import ModelDiff
from .figures import figure_2d, figure_3d
from .graph import Graph, build_graph, component_rows
from .health import HealthOverlay
from .history import Version, load_version, recent_changes

Format = Literal["png", "svg", "pdf", "json", "csv"]
View = Literal["2d", "3d"]
FORMATS: tuple[str, ...] = ("png", "svg", "pdf", "json", "csv")
MIME = {
    "png": "image/png",
    "svg": "image/svg+xml",
    "pdf": "application/pdf",
    "json": "application/json",
    "csv": "text/csv",
}
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
RENDER_TIMEOUT_SECONDS = 120
NO_BROWSER = (
    "PNG/SVG/PDF export needs Chromium, which kaleido drives to render the figure: install "
    "Debian's `chromium` (apt-get install chromium) or set BROWSER_PATH to a Chrome binary"
)


# Renderers log every browser and font step at INFO; the hub's log is for the hub.
NOISY_LOGGERS = ("choreographer", "kaleido", "logistro", "fontTools")


def quiet_renderers() -> None:
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


class ExportError(HubError):
    """An export that cannot be produced here, with what to install or change."""


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    filename: str
    mime: str


def chromium_path() -> str | None:
    """A Chrome-family browser on this machine, or None (we never download one)."""
    override = os.environ.get("BROWSER_PATH")
    if override:
        return override if os.access(override, os.X_OK) else None
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def render_images(
    jobs: Sequence[tuple[go.Figure, str, int, int]], *, scale: float = 1.0
) -> list[bytes]:
    """Render (figure, "png"|"svg", width, height) jobs in one browser session."""
    path = chromium_path()
    if path is None:
        raise ExportError(NO_BROWSER)
    import kaleido

    quiet_renderers()

    async def run() -> list[bytes]:
        out = []
        async with kaleido.Kaleido(
            n=1, path=path, mathjax=False, timeout=RENDER_TIMEOUT_SECONDS
        ) as k:
            for fig, fmt, width, height in jobs:
                opts = {"format": fmt, "width": width, "height": height, "scale": scale}
                out.append(await k.calc_fig(fig.to_plotly_json(), opts=opts))
        return out

    try:
        return _run_async(run)
    except ExportError:
        raise
    except Exception as exc:  # a browser that crashed or hung: say so in one line
        raise ExportError(f"rendering with {path} failed: {type(exc).__name__}: {exc}") from exc


def render_image(fig: go.Figure, fmt: str, *, width: int = 1400, height: int = 900) -> bytes:
    if fmt not in ("png", "svg"):
        raise InputError(f"images are png or svg, not {fmt!r}")
    return render_images([(fig, fmt, width, height)])[0]


def components_csv(graph: Graph, health: HealthOverlay | None = None) -> bytes:
    """One row per component; lists joined with ", "; health columns when an overlay is given."""
    with_health = health is not None and health.available
    rows = component_rows(graph, health.statuses if with_health else None)  # type: ignore[union-attr]
    buffer = io.StringIO()
    fields = list(_CSV_FIELDS) + (["health", "probe"] if with_health else [])
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


def model_json(document: dict[str, Any]) -> bytes:
    """The version exactly as synced: canonical JSON, ready to commit or import."""
    return canonical_json(document).encode()


def diagram(
    graph: Graph, *, view: View = "2d", theme: str = "light", title: str | None = None
) -> tuple[go.Figure, int, int]:
    """The figure an export draws, with a size that fits its content."""
    if view == "3d":
        return figure_3d(graph, theme=theme, title=title, height=900), 1400, 900
    fig = figure_2d(graph, theme=theme, title=title)
    height = int(fig.layout.height or 720)
    xs = [n.x2 for n in graph.nodes] or [0.0]
    width = max(1200, min(4000, int((max(xs) - min(xs) + 3) * 95)))
    return fig, width, height


def pdf_report(
    *,
    target: str,
    version: Version,
    graph: Graph,
    changes: Sequence[tuple[Version, ModelDiff]],
    diagram_png: bytes | None,
    diagram_note: str | None = None,
) -> bytes:
    """A printable report: summary and diagram, the components table, recent changes."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    quiet_renderers()
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.set_title(f"Architecture: {target}")
    pdf.set_creator("Bakhmach Business Hub")
    family, clean = _fonts(pdf)
    pdf.add_page()
    pdf.set_font(family, "B", 18)
    pdf.cell(0, 10, clean(f"Architecture: {target}"), new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_font(family, "", 10)
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"{version.label} (snapshot {version.snapshot_id}, sha256 {version.sha256[:12]}…)",
        version.description,
        f"{len(graph.nodes)} components in {len(graph.layers)} layers, "
        f"{len(graph.edges)} connections · generated {generated}",
    ]
    for line in lines:
        pdf.multi_cell(0, 5, clean(line), new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.ln(2)
    if diagram_png:
        width = pdf.w - pdf.l_margin - pdf.r_margin
        height = pdf.h - pdf.get_y() - pdf.b_margin
        pdf.image(io.BytesIO(diagram_png), w=width, h=height, keep_aspect_ratio=True)
    else:
        pdf.set_font(family, "I", 10)
        pdf.multi_cell(
            0, 5, clean(f"Diagram not rendered: {diagram_note or NO_BROWSER}"), align="L"
        )

    pdf.add_page()
    pdf.set_font(family, "B", 14)
    pdf.cell(0, 8, "Components", new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_font(family, "", 7.5)
    headings = ("id", "name", "layer", "status", "version", "technologies", "dependencies")
    widths = (36, 40, 24, 20, 16, 60, 81)
    with pdf.table(
        col_widths=widths,
        text_align="LEFT",
        headings_style=FontFace(emphasis="BOLD"),
        line_height=4,
        first_row_as_headings=True,
    ) as table:
        table.row([clean(h) for h in headings])
        for row in component_rows(graph):
            table.row([clean(str(row[h])) for h in headings])

    pdf.add_page()
    pdf.set_font(family, "B", 14)
    pdf.cell(0, 8, "Recent changes", new_x="LMARGIN", new_y="NEXT", align="L")
    if not changes:
        pdf.set_font(family, "", 9)
        pdf.cell(0, 6, "No earlier versions.", new_x="LMARGIN", new_y="NEXT", align="L")
    for v, diff in changes:
        pdf.set_font(family, "B", 9)
        pdf.multi_cell(
            0, 5, clean(f"{v.label} — {diff.summary()}"), new_x="LMARGIN", new_y="NEXT", align="L"
        )
        pdf.set_font(family, "", 8)
        pdf.multi_cell(0, 4, clean(v.description), new_x="LMARGIN", new_y="NEXT", align="L")
        shown = diff.field_rows()
        for row in shown[:12]:
            text = f"  • {row['component']}: {row['change']}"
            if row["field"]:
                text += f" {row['field']}: {row['before']} → {row['after']}"
            pdf.multi_cell(0, 4, clean(_clip(text, 180)), new_x="LMARGIN", new_y="NEXT", align="L")
        if len(shown) > 12:
            pdf.multi_cell(0, 4, clean(f"  … and {len(shown) - 12} more"), align="L")
        pdf.ln(1.5)
    return bytes(pdf.output())


def export_version(
    store: Store,
    target: str,
    fmt: str,
    *,
    snapshot_id: int | None = None,
    view: View = "2d",
    theme: str = "light",
    graph: Graph | None = None,
) -> ExportFile:
    """Everything `hub arch export` and the page's buttons produce, in one place."""
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise InputError(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    version, document = load_version(store, target, snapshot_id)
    graph = graph or build_graph(document)
    name = f"architecture-{target}-v{version.number}.{fmt}"
    if fmt == "json":
        content = model_json(document)
    elif fmt == "csv":
        content = components_csv(graph)
    elif fmt in ("png", "svg"):
        fig, width, height = diagram(
            graph, view=view, theme=theme, title=f"{target} · {version.label}"
        )
        content = render_images([(fig, fmt, width, height)], scale=2 if fmt == "png" else 1)[0]
    else:
        fig, width, height = diagram(graph, view=view, theme="light")
        png, note = None, None
        try:
            png = render_images([(fig, "png", width, height)], scale=1.5)[0]
        except ExportError as exc:  # the report still has its tables: say why no diagram
            note = str(exc)
        changes = recent_changes(store, target, upto=version.snapshot_id, count=10)
        content = pdf_report(
            target=target,
            version=version,
            graph=graph,
            changes=changes,
            diagram_png=png,
            diagram_note=note,
        )
    return ExportFile(content, name, MIME[fmt])


# --------------------------------------------------------------------------- internals

_CSV_FIELDS = (
    "id",
    "name",
    "layer",
    "status",
    "version",
    "technologies",
    "dependencies",
    "dependents",
    "github_path",
)


def _run_async(make: Any) -> Any:
    """Run a coroutine to completion from sync code, even inside a running event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(make())
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target, name="kaleido-render", daemon=True)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


def _fonts(pdf: Any) -> tuple[str, Any]:
    """(font family, text cleaner): DejaVu (any script) when present, else Helvetica."""
    for folder in FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        oblique = folder / "DejaVuSans-Oblique.ttf"
        if regular.exists() and bold.exists():
            pdf.add_font("DejaVu", "", str(regular))
            pdf.add_font("DejaVu", "B", str(bold))
            pdf.add_font("DejaVu", "I", str(oblique if oblique.exists() else regular))
            return "DejaVu", lambda text: text
    latin = {"•": "-", "…": "...", "→": "->", "—": "-", "−": "-", "·": "|"}

    def clean(text: str) -> str:
        for a, b in latin.items():
            text = text.replace(a, b)
        return text.encode("latin-1", "replace").decode("latin-1")

    return "Helvetica", clean


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
