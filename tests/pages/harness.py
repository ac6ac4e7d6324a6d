"""AppTest helpers: run the real entry point (sidebar + navigation) on one page."""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"


def clear_caches() -> None:
    """st caches are process-global: clear them so one test's data never leaks into another."""
    st.cache_data.clear()
    st.cache_resource.clear()


def open_page(
    page_file: str, query: dict[str, str] | None = None, *, address: str = "127.0.0.1"
) -> AppTest:
    """Run the app, then switch to `pages/<page_file>`; returns the AppTest after that run.

    `address` is the dashboard's `server.address`: on 127.0.0.1 with no accounts the
    visitor is signed in as the local admin (engine.access.policy).
    """
    clear_caches()
    st.config.set_option("server.address", address)
    at = AppTest.from_file(str(APP), default_timeout=30)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    if page_file != "overview.py":
        at.switch_page(f"../pages/{page_file}")
        at.run()
    return at


def assert_clean(at: AppTest) -> None:
    """No exception element and a title on the page."""
    assert not at.exception, [e.value for e in at.exception]
    assert at.title, "page has no title"
