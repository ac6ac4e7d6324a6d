"""The sidebar's pages, by section: the Overview plus every capability's pages."""

from __future__ import annotations

from pathlib import Path

from engine.capabilities import PageSpec, pages

OVERVIEW = PageSpec("overview.py", "Overview", "📊", "overview", "Launch control", order=0)


def all_pages() -> list[PageSpec]:
    return [OVERVIEW, *pages()]


def missing_pages(root: Path) -> list[PageSpec]:
    """Declared pages without a script (a test keeps this empty)."""
    return [p for p in all_pages() if not (root / "pages" / p.file).is_file()]


def sections() -> dict[str, list[PageSpec]]:
    out: dict[str, list[PageSpec]] = {}
    for page in all_pages():
        out.setdefault(page.section, []).append(page)
    return out
