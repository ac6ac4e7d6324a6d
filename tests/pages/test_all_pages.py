"""Every page of the navigation renders through the real entry point, empty and with data."""

from datetime import date

import pytest

from dashboard.navigation import all_pages
from engine import demo
from engine.store import Store
from tests.actors import ADMIN
from tests.pages.harness import assert_clean, open_page

PAGES = [p.file for p in all_pages()]


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_an_empty_store(sqlite_store: Store, page: str) -> None:
    at = open_page(page)
    assert_clean(at)
    assert not at.metric or all(m.value != "0" for m in at.metric), "an empty store shows 0"


def test_every_page_renders_with_the_demo_company(sqlite_store: Store) -> None:
    demo.load(sqlite_store, ADMIN, demo.make_spec("S", 42, today=date.today()))
    for page in PAGES:
        at = open_page(page)
        assert_clean(at)
        badges = [m.value for m in at.markdown if "Demo data" in m.value]
        assert badges, f"{page} does not show the Demo data badge"


def test_every_declared_page_has_a_script() -> None:
    from pathlib import Path

    from dashboard.navigation import missing_pages

    assert missing_pages(Path(__file__).resolve().parents[2]) == []
