"""Streamlit entry point: sidebar filters, then the selected page (`st.navigation`)."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `streamlit run dashboard/app.py` from a plain checkout
    sys.path.insert(0, str(ROOT))

from dashboard.navigation import OVERVIEW, sections  # noqa: E402
from dashboard.ui.auth import sidebar_identity, sign_in  # noqa: E402
from dashboard.ui.filters import sidebar_filters  # noqa: E402
from engine.access.roles import Permission  # noqa: E402

st.set_page_config(page_title="Bakhmach Business Hub", page_icon="🚀", layout="wide")
who = sign_in()

nav = {
    section: [
        st.Page(
            str(ROOT / "pages" / p.file),
            title=p.title,
            icon=p.icon,
            url_path=p.url_path,
            default=p is OVERVIEW,
        )
        for p in items
        # Admin pages are not even listed for those who may not open them.
        if p.section != "Admin" or who.can(Permission.audit_read)
    ]
    for section, items in sections().items()
    if section != "Admin" or who.can(Permission.audit_read)
}
current = st.navigation(nav)
with st.sidebar:
    st.markdown("### 🚀 Bakhmach Business Hub")
st.session_state["filters"] = sidebar_filters()
sidebar_identity(who)
current.run()
