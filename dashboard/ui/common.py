"""Pieces every page uses: the store, the header (title, purpose, badges) and freshness."""

from __future__ import annotations

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from engine.config import Settings, get_settings
from engine.errors import HubError
from engine.ingest import data_as_of, demo_loaded
from engine.store import Store, get_store
from engine.store.migrate import schema_status


def settings() -> Settings:
    return get_settings()


@st.cache_resource
def _checked_store() -> tuple[Store, bool, str, bool]:
    """(store, schema current, why not, database reachable)."""
    store = get_store()
    try:
        store.ping()
    except HubError as exc:
        return store, False, str(exc), False
    try:
        ok, why = schema_status(store)
    except HubError as exc:
        ok, why = False, str(exc)
    return store, ok, why, True


def store(*, allow_unreachable: bool = False) -> Store:
    """The process store; stops the page with the fix when the schema is not current.

    `allow_unreachable`: hand back the store even when the database cannot be reached, for
    the few readers that report exactly that (launch status: "database connectivity
    lost"); they must cope with queries failing.
    """
    s, ok, why, reachable = _checked_store()
    if not ok:
        _checked_store.clear()
        if allow_unreachable and not reachable:
            return s
        st.error(f"The store is not ready: {why}")
        st.stop()
    return s


@st.cache_data(ttl=30, show_spinner=False)
def _freshness() -> tuple[bool, dict[str, str] | None]:
    s = store(allow_unreachable=True)
    tz = settings().tz
    try:
        as_of = data_as_of(s)
        demo = demo_loaded(s)
    except (HubError, SQLAlchemyError):
        return False, None  # unreachable: the page says so where it reads
    return demo, {k: v.astimezone(tz).strftime("%Y-%m-%d %H:%M") for k, v in as_of.items()}


def page_header(title: str, purpose: str) -> None:
    """Title, one-line purpose, demo badge and "data as of" line."""
    st.title(title)
    is_demo, as_of = _freshness()
    cols = st.columns([6, 1])
    cols[0].caption(purpose)
    if is_demo:
        cols[1].badge("Demo data", icon="🧪", color="orange")
    if as_of is None:
        st.caption("Data as of: unknown (the store cannot be reached).")
    elif as_of:
        parts = ", ".join(f"{kind} {ts}" for kind, ts in sorted(as_of.items()))
        st.caption(f"Data as of ({settings().timezone}): {parts}")
    else:
        st.caption("No data imported yet: run `hub demo` for a demo company, or an importer.")
