"""Incidents: what broke, how bad, its timeline, and deploy markers."""

from datetime import datetime

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard.ui.auth import act, needs
from dashboard.ui.common import page_header, store
from dashboard.ui.markers import chart_markers, with_markers
from dashboard.ui.state import filters
from dashboard.ui.tables import table_with_download
from engine.access.roles import Permission
from engine.launch import incidents


@st.cache_data(ttl=30, show_spinner=False)
def all_incidents() -> list[dict]:
    return incidents.list_incidents(store())


@st.cache_data(ttl=30, show_spinner=False)
def annotations() -> list[dict]:
    return incidents.list_annotations(store())


def _changed() -> None:
    all_incidents.clear()
    annotations.clear()
    chart_markers.clear()


page_header(
    "Incidents", "Every incident with its severity and timeline, and the deploys around it."
)
manage = needs(Permission.incident_manage)
with st.expander("🚨 Open an incident"), st.form("open_incident", clear_on_submit=True):
    c = st.columns([4, 1, 2])
    title = c[0].text_input("Title", placeholder="Checkout returns 500s")
    severity = c[1].selectbox("Severity", incidents.SEVERITIES, index=1)
    category = c[2].selectbox(
        "Category",
        ["(none)", *incidents.CATEGORIES],
        help="Data loss, data corruption and "
        "security breach feed the launch's rollback and success criteria.",
    )
    if (
        st.form_submit_button("Open incident", disabled=manage is not None, help=manage)
        and act(
            "Open incident",
            incidents.open_incident,
            title,
            severity,
            category=None if category == "(none)" else category,
        )
        is not None
    ):
        _changed()
        st.rerun()
f = filters()
rows = all_incidents()
marks = annotations()
if not rows and not marks:
    st.info(
        "No incidents or deploy markers yet. Open an incident with "
        "`hub incident open TITLE --severity SEV2`, add notes with `hub incident note ID TEXT`, "
        "and record deploys with `hub annotate 'deploy v1.2'` or POST /v1/annotations."
    )
    st.stop()

open_rows = [r for r in rows if r["status"] == "open"]
cols = st.columns(3)
cols[0].metric("Open incidents", len(open_rows) if rows else "—")
cols[1].metric("Open SEV1", sum(r["severity"] == "SEV1" for r in open_rows) if rows else "—")
cols[2].metric("Incidents recorded", len(rows) if rows else "—")

st.subheader("Over the selected period")
if chart_markers(f.start, f.end):
    fig = go.Figure()
    fig.update_xaxes(
        type="date",
        range=[datetime.fromisoformat(x).replace(tzinfo=None) for x in (f.start, f.end)],
    )
    fig.update_yaxes(visible=False)
    fig.update_layout(height=200, margin={"t": 10, "b": 10}, legend={"orientation": "h"})
    st.plotly_chart(with_markers(fig, f.start, f.end), width="stretch")
    st.caption("Incidents are shaded from start to resolution; hover a symbol for details.")
else:
    st.caption("No incidents or deploy markers in the selected period.")

st.subheader("Incidents")
if rows:
    frame = pd.DataFrame(
        [
            {
                "#": r["id"],
                "severity": r["severity"],
                "title": r["title"],
                "category": r["category"] or "",
                "status": r["status"],
                "started (UTC)": r["started_at"][:16],
                "resolved (UTC)": (r["resolved_at"] or "")[:16],
            }
            for r in rows
        ]
    )
    table_with_download(frame, "incidents.csv")
    for r in rows:
        label = f"#{r['id']} {r['severity']} · {r['title']} ({r['status']})"
        with st.expander(label, expanded=r["status"] == "open"):
            for n in r.get("notes", []):
                when = datetime.fromisoformat(n["at"]).strftime("%Y-%m-%d %H:%M")
                who = f" — {n['author']}" if n["author"] else ""
                st.markdown(f"- **{when} UTC** {n['text']}{who}")
            if r["status"] != "open":
                continue
            c = st.columns([5, 1, 1])
            text = c[0].text_input("Timeline note", key=f"note{r['id']}")
            if (
                c[1].button(
                    "Add note", key=f"add{r['id']}", disabled=manage is not None, help=manage
                )
                and act("Add note", incidents.add_note, r["id"], text) is not None
            ):
                _changed()
                st.rerun()
            if (
                c[2].button(
                    "Resolve",
                    key=f"resolve{r['id']}",
                    type="primary",
                    disabled=manage is not None,
                    help=manage,
                )
                and act("Resolve", incidents.resolve_incident, r["id"], note=text) is not None
            ):
                _changed()
                st.rerun()
else:
    st.caption("No incidents recorded.")

st.subheader("Deploys and other markers")
if marks:
    frame = pd.DataFrame(
        [
            {
                "at (UTC)": m["at"][:16],
                "kind": m["kind"],
                "text": m["text"],
                "service": m["service"],
            }
            for m in marks
        ]
    )
    table_with_download(frame, "annotations.csv")
else:
    st.caption("No markers yet: `hub annotate 'deploy v1.2'` or POST /v1/annotations.")
