"""Funnels: how many users get from one step to the next, how fast, and who drops off.

A thin page: every figure comes from `engine.product.funnels` through the cached calls.
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
from engine.product import funnels, kpis

TTL = 60
DEFAULT_STEPS = ["Signed Up", "Target Created", "First Sync Completed"]


def _period(start: str, end: str) -> Period:
    return Period(datetime.fromisoformat(start), datetime.fromisoformat(end), settings().tz, "")


@st.cache_data(ttl=TTL, show_spinner=False)
def event_names() -> list[str]:
    return kpis.event_names(store())


@st.cache_data(ttl=TTL, show_spinner="Computing the funnel…")
def compute(
    steps: tuple[str, ...], start: str, end: str, window_days: int, strict: bool
) -> dict[str, Any]:
    result = funnels.funnel(store(), list(steps), _period(start, end), window_days * 86_400, strict)
    tz = settings().tz
    return {
        **result.to_json(),
        "weekly": funnels.weekly_conversion(result, tz),
        "dropped": {k: funnels.dropped_off(result, k, tz) for k in range(1, len(result.steps))},
    }


def download(df: pd.DataFrame, name: str) -> None:
    st.download_button(
        f"Download {name} (CSV)", df.to_csv(index=False), f"{name}.csv", "text/csv", key=name
    )


page_header("Funnels", "How many users get from one step to the next, how fast, and who drops off.")
f = filters()
names = event_names()
if not names:
    st.info("No product events yet: import with `hub import events FILE` or run `hub demo`.")
    st.stop()

if "fn_steps" not in st.session_state:  # shareable: steps, window and mode live in the URL
    wanted = st.query_params.get("steps", "")
    chosen = [s for s in wanted.split(",") if s in names] or [
        s for s in DEFAULT_STEPS if s in names
    ]
    st.session_state["fn_steps"] = chosen or names[:2]
    st.session_state["fn_window"] = int(st.query_params.get("window", "14") or 14)
    st.session_state["fn_strict"] = st.query_params.get("strict", "0") == "1"
cols = st.columns([4, 1, 1])
steps = cols[0].multiselect(
    "Steps, in order", names, key="fn_steps", help="Pick events in the order users do them."
)
window = cols[1].number_input("Window (days)", 1, 90, key="fn_window")
strict = cols[2].toggle("Strict order", key="fn_strict", help="No other event between steps.")
st.query_params.update(
    {"steps": ",".join(steps), "window": str(window), "strict": "1" if strict else "0"}
)
st.caption(funnels.DEFINITION)
if len(steps) < 2:
    st.info("Pick at least two steps.")
    st.stop()
try:
    data = compute(tuple(steps), f.start, f.end, int(window), bool(strict))
except HubError as exc:
    st.error(str(exc))
    st.stop()

table = pd.DataFrame(data["steps"])
if not table["users"].iloc[0]:
    st.info(f"No user did “{steps[0]}” in this period.")
fig = go.Figure(go.Funnel(y=table["event"], x=table["users"], textinfo="value+percent initial"))
fig.update_layout(height=80 + 60 * len(steps), margin={"t": 10, "b": 10})
st.plotly_chart(fig, width="stretch")
st.metric(
    "Overall conversion",
    format_value(data["overall_conversion"], "ratio"),
    help="Users reaching the last step ÷ users entering.",
)
st.dataframe(
    table.rename(
        columns={
            "conversion_from_previous": "from previous",
            "conversion_from_first": "from first",
            "median_seconds_from_previous": "median s from previous",
        }
    ),
    hide_index=True,
)
download(table, "funnel")

st.subheader("Conversion by week")
st.caption("Overall conversion of the users who entered in each week (Monday first).")
weekly = pd.DataFrame(data["weekly"], columns=["week", "entered", "converted", "conversion"])
if weekly.empty:
    st.caption("No users entered in this period.")
else:
    fig = go.Figure(go.Scatter(x=weekly["week"], y=weekly["conversion"], mode="lines+markers"))
    fig.update_layout(height=260, margin={"t": 10, "b": 10}, yaxis_tickformat=".0%")
    st.plotly_chart(with_markers(fig, f.start, f.end), width="stretch")
download(weekly, "funnel_weekly")

st.subheader("Who dropped off")
step = st.selectbox(
    "Dropped off before step",
    list(range(1, len(steps))),
    format_func=lambda k: f"{k + 1}. {steps[k]}",
    key="fn_drop",
)
dropped = pd.DataFrame(data["dropped"][step], columns=["user_id", "last_step", "reached_at"])
st.caption(f"{len(dropped):,} users reached “{steps[step - 1]}” but not “{steps[step]}”.")
st.dataframe(dropped, hide_index=True)
download(dropped, "dropped_off")
