"""Exports are valid files: PNG magic, SVG parses, PDF text has the components, CSV/JSON."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from xml.etree import ElementTree

import pytest
from pypdf import PdfReader

from engine.architecture import export
from engine.architecture.diff import diff_models
from engine.architecture.export import ExportError, export_version, pdf_report, render_images
from engine.architecture.graph import build_graph
from engine.architecture.history import Version, load_version
from engine.errors import InputError
from engine.store import Store
from tests.architecture.helpers import comp, history_world, model, shop

needs_browser = pytest.mark.skipif(
    export.chromium_path() is None, reason="no Chromium here: kaleido cannot render"
)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def _version(**overrides: object) -> Version:
    values: dict = {
        "snapshot_id": 7,
        "number": 3,
        "created_at": datetime(2026, 1, 9, 10, 0, tzinfo=UTC),
        "sha256": "ab" * 32,
        "job_id": 4,
        "trigger": "webhook",
        "origin": "github",
        "description": "GitHub edit (blob 1234567) carried to AI Studio",
        "actor": None,
        "github_ref": "1234567" * 5 + "12345",
        "drive_revision": "0Brev",
    }
    values.update(overrides)
    return Version(**values)  # type: ignore[arg-type]


def test_csv_and_json_exports(store: Store) -> None:
    history_world(store)
    version, doc = load_version(store, "arch")
    as_json = export_version(store, "arch", "json")
    assert as_json.mime == "application/json"
    assert as_json.filename == f"architecture-arch-v{version.number}.json"
    assert json.loads(as_json.content) == doc
    as_csv = export_version(store, "arch", "CSV")
    rows = list(csv.DictReader(io.StringIO(as_csv.content.decode())))
    assert [r["id"] for r in rows] == sorted(c["id"] for c in doc["components"])
    assert rows[0].keys() >= {"id", "name", "layer", "status", "version", "technologies"}
    with pytest.raises(InputError, match="--format must be one of"):
        export_version(store, "arch", "gif")


def test_csv_has_health_columns_when_there_is_an_overlay() -> None:
    from engine.architecture.health import ProbeState, overlay

    g = build_graph(shop())
    result = overlay(shop()["components"], [ProbeState("api", "up")])
    rows = list(csv.DictReader(io.StringIO(export.components_csv(g, result).decode())))
    assert {r["id"]: r["health"] for r in rows}["api"] == "up"
    empty = export.components_csv(build_graph({"components": []})).decode()
    assert empty.startswith("id,name,layer,status,version")


def test_pdf_report_has_components_diagram_note_and_recent_changes() -> None:
    old = model(comp("api", name="API Gateway"), comp("legacy"))
    new = model(
        comp("api", name="API Gateway", version="2.0.0"),
        comp("bakhmach", name="Бахмач Billing", layer="services"),
    )
    text = _pdf_text(
        pdf_report(
            target="platform",
            version=_version(),
            graph=build_graph(new),
            changes=[(_version(), diff_models(old, new))],
            diagram_png=None,
            diagram_note="no browser in this test",
        )
    )
    assert "Architecture: platform" in text
    assert "API Gateway" in text and "Бахмач Billing" in text  # any script, via DejaVu
    assert "Diagram not rendered: no browser in this test" in text
    assert "Recent changes" in text and "version: 1.0.0 → 2.0.0" in text
    assert "legacy: removed" in text


def test_images_need_a_browser_and_say_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export, "chromium_path", lambda: None)
    with pytest.raises(ExportError, match="needs Chromium"):
        export.render_image(export.diagram(build_graph(shop()))[0], "png")
    with pytest.raises(InputError):
        export.render_image(export.diagram(build_graph(shop()))[0], "pdf")


def test_browser_path_override(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "missing-chrome"))
    assert export.chromium_path() is None
    fake = tmp_path / "chrome"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("BROWSER_PATH", str(fake))
    assert export.chromium_path() == str(fake)


def test_pdf_without_a_browser_still_has_its_tables(
    sqlite_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    history_world(sqlite_store)
    monkeypatch.setattr(export, "chromium_path", lambda: None)
    text = _pdf_text(export_version(sqlite_store, "arch", "pdf").content)
    assert "Diagram not rendered" in text and "needs Chromium" in text
    assert "Auth" in text and "Billing" in text


@needs_browser
def test_png_and_svg_render_with_the_system_chromium() -> None:
    g = build_graph(shop())
    fig2, width, height = export.diagram(g, view="2d", title="shop")
    fig3, _, _ = export.diagram(g, view="3d", theme="dark")
    png2, svg2, png3 = render_images(
        [(fig2, "png", width, height), (fig2, "svg", width, height), (fig3, "png", 900, 700)]
    )
    assert png2.startswith(PNG_MAGIC) and png3.startswith(PNG_MAGIC)
    root = ElementTree.fromstring(svg2)
    assert root.tag.endswith("svg")
    texts = {"".join(el.itertext()) for el in root.iter() if el.tag.endswith("text")}
    assert {"Web", "Api", "Orders", "Db"} <= texts  # the 2D diagram is real vector text


@needs_browser
def test_pdf_report_with_the_diagram(sqlite_store: Store) -> None:
    history_world(sqlite_store)
    content = export_version(sqlite_store, "arch", "pdf").content
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) == 3
    assert reader.pages[0].images, "the first page carries the diagram"
    text = _pdf_text(content)
    assert "Diagram not rendered" not in text
    assert "Auth" in text and "Billing" in text and "Recent changes" in text
