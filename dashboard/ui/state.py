"""Access to what the entry point computed for this run (the sidebar filters)."""

from __future__ import annotations

import streamlit as st

from .filters import Filters, sidebar_filters


def filters() -> Filters:
    """The sidebar filters; drawn here when a page runs on its own (AppTest of one page)."""
    current = st.session_state.get("filters")
    if current is None:
        current = sidebar_filters()
        st.session_state["filters"] = current
    return current
