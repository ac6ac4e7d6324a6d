"""The sidebar's pages, by section: the Overview plus every capability's pages."""

from __future__ import annotations

from engine.capabilities import PageSpec, pages

OVERVIEW = PageSpec("overview.py", "Overview", "📊", "overview", "Launch control", order=0)


def all_pages() -> list[PageSpec]:
    return [OVERVIEW, *pages()]


def sections() -> dict[str, list[PageSpec]]:
    out: dict[str, list[PageSpec]] = {}
    for page in all_pages():
        out.setdefault(page.section, []).append(page)
    return out
