"""Adoption: who uses the product, how often, and which features they adopt.

A thin page: every figure comes from `engine.product.kpis` through the cached calls below.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard.ui.common import page_header, settings, store
from dashboard.ui.markers import with_markers
from dashboard.ui.state import filters
from engine.errors import HubError
from engine.kpi.units import format_value
from engine.periods import Period
from engine.product import kpis

TTL = 60
D = kpis.DEFINITIONS


def _period(start: str, end: str) -> Period:
    return Period(datetime.fromisoformat(start), datetime.fromisoformat(end), settings().tz, "")


@st.cache_data(ttl=TTL, show_spinner=False)
def has_events() -> bool:
    with store().session() as s:
        return kpis.has_events(s)


@st.cache_data(ttl=TTL, show_spinner="Computing adoption…")
def summary(start: str, end: str) -> dict[str, Any]:
    return kpis.product_summary(store(), _period(start, end))


@st.cache_data(ttl=TTL, show_spinner=False)
def lines(start: str, end: str) -> list[dict[str, Any]]:
    return kpis.active_lines(store(), _period(start, end))


@st.cache_data(ttl=TTL, show_spinner=False)
def lifecycle(start: str, end: str) -> list[dict[str, Any]]:
    return kpis.lifecycle(store(), _period(start, end))


@st.cache_data(ttl=TTL, show_spinner=False)
def signups(start: str, end: str) -> list[dict[str, Any]]:
    return kpis.signups_daily(store(), _period(start, end))


def download(df: pd.DataFrame, name: str) -> None:
    st.download_button(
        f"Download {name} (CSV)", df.to_csv(index=False), f"{name}.csv", "text/csv", key=name
    )


page_header("Adoption", "Who uses the product, how often, and which features they adopt.")
f = filters()
if not has_events():
    st.info(
        "No product events yet: import with `hub import events FILE` (Segment JSON lines), "
        "send them to `POST /v1/batch`, or load the demo company with `hub demo`."
    )
    st.stop()
try:
    s = summary(f.start, f.end)
except HubError as exc:
    st.error(str(exc))
    st.stop()

cols = st.columns(5)
cols[0].metric("DAU", format_value(s["dau"], "users"), help=D["dau"] + " " + D["active_user"])
cols[1].metric("WAU", format_value(s["wau"], "users"), help=D["wau"])
cols[2].metric("MAU", format_value(s["mau"], "users"), help=D["mau"])
cols[3].metric("Stickiness", format_value(s["stickiness"], "ratio"), help=D["stickiness"])
cols[4].metric("Active users", format_value(s["active_users"], "users"), help=D["active_users"])

st.subheader("Daily, weekly and monthly active users")
st.caption("DAU on each day; WAU and MAU as of each day (7 and 30 days ending that day).")
df_lines = pd.DataFrame(lines(f.start, f.end))
fig = go.Figure()
for col, label in (("dau", "DAU"), ("wau", "WAU"), ("mau", "MAU")):
    fig.add_scatter(x=df_lines["day"], y=df_lines[col], name=label, mode="lines")
fig.update_layout(height=320, margin={"t": 10, "b": 10}, yaxis_title="users")
st.plotly_chart(with_markers(fig, f.start, f.end), width="stretch")
download(df_lines, "active_users")

st.subheader("Lifecycle", help=D["lifecycle"])
df_life = pd.DataFrame(lifecycle(f.start, f.end))
fig = go.Figure()
colours = {
    "new": "#2e7d32",
    "returning": "#1565c0",
    "resurrecting": "#8e24aa",
    "dormant": "#e53935",
}
for col, colour in colours.items():
    fig.add_bar(x=df_life["week"], y=df_life[col], name=col, marker_color=colour)
fig.update_layout(barmode="relative", height=320, margin={"t": 10, "b": 10}, yaxis_title="users")
st.plotly_chart(with_markers(fig, f.start, f.end), width="stretch")
if not df_life["complete"].all():
    st.caption("The last week is still running: its figures are so far.")
download(df_life, "lifecycle")

st.subheader("Signups and activation")
cols = st.columns(3)
cols[0].metric("Signups", format_value(s["signups"], "count"), help=D["signups"])
cols[1].metric(
    "Activation rate", format_value(s["activation_rate"], "ratio"), help=D["activation_rate"]
)
cols[2].metric(
    "Time to value (median)",
    format_value(s["time_to_value_median_seconds"], "seconds"),
    help=D["time_to_value"],
)
df_sign = pd.DataFrame(signups(f.start, f.end))
fig = go.Figure()
fig.add_bar(x=df_sign["day"], y=df_sign["signups"], name="signups", marker_color="#90caf9")
fig.add_bar(x=df_sign["day"], y=df_sign["activated"], name="activated", marker_color="#1565c0")
fig.update_layout(barmode="overlay", height=280, margin={"t": 10, "b": 10}, yaxis_title="users")
st.plotly_chart(with_markers(fig, f.start, f.end), width="stretch")
download(df_sign, "signups")

st.subheader("Feature adoption", help=D["feature_adoption"])
df_feat = pd.DataFrame(
    [{"feature": e, "adoption": r} for e, r in s["feature_adoption"].items()],
    columns=["feature", "adoption"],
).sort_values("adoption", ascending=False, na_position="last")
st.dataframe(
    df_feat,
    hide_index=True,
    column_config={
        "adoption": st.column_config.ProgressColumn(
            "Adoption (share of active users)", min_value=0.0, max_value=1.0, format="percent"
        )
    },
)
download(df_feat, "feature_adoption")
