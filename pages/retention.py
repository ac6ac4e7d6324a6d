"""Retention: of the users who started in a bucket, how many come back in later ones.

A thin page: every figure comes from `engine.product.retention` through the cached call.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard.ui.common import page_header, settings, store
from dashboard.ui.state import filters
from engine.errors import HubError
from engine.periods import Period
from engine.product import kpis
from engine.product import retention as ret

TTL = 60
GRAINS = ["day", "week", "month"]
MODES = {"on": "On", "on_or_after": "On or after"}


def _period(start: str, end: str) -> Period:
    return Period(datetime.fromisoformat(start), datetime.fromisoformat(end), settings().tz, "")


@st.cache_data(ttl=TTL, show_spinner=False)
def event_names() -> list[str]:
    return kpis.event_names(store())


@st.cache_data(ttl=TTL, show_spinner="Computing retention…")
def table(
    start: str, end: str, start_event: str, return_event: str, grain: str, periods: int, mode: str
) -> dict[str, Any]:
    return ret.retention(
        store(),
        _period(start, end),
        start_event=start_event,
        return_event=return_event,
        grain=grain,  # type: ignore[arg-type]
        periods=periods,
        mode=mode,  # type: ignore[arg-type]
    ).to_json()


page_header("Retention", "Of the users who started in a bucket, how many come back later.")
f = filters()
names = event_names()
if not names:
    st.info("No product events yet: import with `hub import events FILE` or run `hub demo`.")
    st.stop()

qp = st.query_params
if "rt_grain" not in st.session_state:  # shareable: the view lives in the URL
    start_default = "Signed Up" if "Signed Up" in names else names[0]
    st.session_state["rt_start"] = qp.get("start", start_default)
    if st.session_state["rt_start"] not in names:
        st.session_state["rt_start"] = start_default
    ret_q = qp.get("return", ret.ANY)
    st.session_state["rt_return"] = ret_q if ret_q in [ret.ANY, *names] else ret.ANY
    st.session_state["rt_grain"] = qp.get("grain", "week") if qp.get("grain") in GRAINS else "week"
    st.session_state["rt_periods"] = int(qp.get("periods", "8") or 8)
    st.session_state["rt_mode"] = qp.get("mode", "on") if qp.get("mode") in MODES else "on"
cols = st.columns([2, 2, 2, 1, 2])
start_event = cols[0].selectbox("Start event (first ever)", names, key="rt_start")
return_event = cols[1].selectbox(
    "Return event", [ret.ANY, *names], key="rt_return",
    format_func=lambda e: "any activity" if e == ret.ANY else e,
)  # fmt: skip
grain = cols[2].segmented_control("Buckets", GRAINS, key="rt_grain") or "week"
periods = cols[3].number_input("Buckets", 2, 52, key="rt_periods")
mode = (
    cols[4].segmented_control("Retained", list(MODES), format_func=MODES.__getitem__, key="rt_mode")
    or "on"
)
qp.update(
    {"start": start_event, "return": return_event, "grain": grain, "periods": str(periods),
     "mode": mode}
)  # fmt: skip
st.caption(ret.DEFINITION)
try:
    t = table(f.start, f.end, start_event, return_event, grain, int(periods), mode)
except HubError as exc:
    st.error(str(exc))
    st.stop()
if not t["cohorts"]:
    st.info(f"No {grain} starts within this period: widen the period.")
    st.stop()

labels = [str(n) for n in range(int(periods))]
z, text = [], []
for c in t["cohorts"]:
    z.append([None if r is None else r * 100 for r in c["rates"]])
    text.append(
        [
            "" if r is None else f"{r:.0%}" + ("" if done else "*")
            for r, done in zip(c["rates"], c["complete"], strict=True)
        ]
    )
y = [f"{c['cohort']} ({c['size']})" for c in t["cohorts"]]
fig = go.Figure(
    go.Heatmap(
        z=z, x=labels, y=y, text=text, texttemplate="%{text}", colorscale="Blues",
        zmin=0, zmax=100, colorbar={"title": "%"},
    )
)  # fmt: skip
fig.update_layout(
    height=120 + 28 * len(y), margin={"t": 10, "b": 10},
    xaxis_title=f"{grain}s since cohort", yaxis={"autorange": "reversed"},
)  # fmt: skip
st.plotly_chart(fig, width="stretch")
st.caption(
    "* incomplete: the bucket had not ended by the end of the period (count so far); blank: "
    "it starts after the period. The average row uses complete cells only, weighted by size."
)
avg = ", ".join(
    f"{n}: {'—' if a is None else f'{a:.0%}'}" for n, a in zip(labels, t["average"], strict=True)
)
st.markdown(f"**Average:** {avg}")
rows = [
    {"cohort": c["cohort"], "size": c["size"], "bucket": n, "retained": r, "rate": rate,
     "complete": done}
    for c in t["cohorts"]
    for n, (r, rate, done) in enumerate(zip(c["retained"], c["rates"], c["complete"], strict=True))
]  # fmt: skip
df = pd.DataFrame(rows)
st.download_button("Download retention (CSV)", df.to_csv(index=False), "retention.csv", "text/csv")
