"""Customer voice: NPS and CSAT from survey responses, with what people wrote.

A thin page: every figure comes from `engine.product.surveys` through the cached calls.
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
from engine.kpi.units import format_value
from engine.periods import Period
from engine.product import surveys

TTL = 60


def _period(start: str, end: str) -> Period:
    return Period(datetime.fromisoformat(start), datetime.fromisoformat(end), settings().tz, "")


@st.cache_data(ttl=TTL, show_spinner=False)
def has_responses() -> bool:
    return surveys.has_responses(store())


@st.cache_data(ttl=TTL, show_spinner="Reading survey responses…")
def voice(start: str, end: str) -> dict[str, Any]:
    p = _period(start, end)
    s = store()
    return {
        "summary": surveys.survey_summary(s, p),
        "trend": surveys.trend(s, p, "week"),
        "nps_dist": surveys.distribution(s, p, "nps"),
        "csat_dist": surveys.distribution(s, p, "csat"),
        "comments": surveys.latest_comments(s, p, 50),
    }


def download(df: pd.DataFrame, name: str) -> None:
    st.download_button(
        f"Download {name} (CSV)", df.to_csv(index=False), f"{name}.csv", "text/csv", key=name
    )


page_header("Customer voice", "What customers tell us: NPS, CSAT and their comments.")
f = filters()
if not has_responses():
    st.info(
        "No survey responses yet: import with `hub import survey FILE.csv` "
        "(respondent_id,kind,score,responded_at,comment) or POST them to `/v1/surveys`."
    )
    st.stop()
v = voice(f.start, f.end)
s = v["summary"]
cols = st.columns(4)
cols[0].metric("NPS", format_value(s["nps"], "score"), help=surveys.NPS_DEFINITION)
cols[1].metric(
    "NPS responses",
    f"{s['nps_responses']:,}",
    help=f"{s['promoters']} promoters · {s['passives']} passives · {s['detractors']} detractors",
)
cols[2].metric("CSAT", format_value(s["csat"], "ratio"), help=surveys.CSAT_DEFINITION)
cols[3].metric("CSAT responses", f"{s['csat_responses']:,}")
st.caption("Plan target: NPS above 40.")

st.subheader("NPS by week")
trend = pd.DataFrame(
    v["trend"],
    columns=["bucket", "nps", "nps_responses", "promoters", "passives", "detractors", "csat",
             "csat_responses"],
)  # fmt: skip
if trend["nps"].notna().any():
    fig = go.Figure(go.Scatter(x=trend["bucket"], y=trend["nps"], mode="lines+markers"))
    fig.add_hline(y=40, line_dash="dot", annotation_text="target 40")
    fig.update_layout(height=280, margin={"t": 10, "b": 10}, yaxis={"range": [-100, 100]})
    st.plotly_chart(with_markers(fig, f.start, f.end), width="stretch")
else:
    st.caption("No NPS responses in this period.")
download(trend, "survey_trend")

left, right = st.columns(2)
with left:
    st.subheader("NPS scores")
    dist = pd.DataFrame(list(v["nps_dist"].items()), columns=["score", "responses"])
    colours = ["#e53935" if x <= 6 else "#fbc02d" if x <= 8 else "#2e7d32" for x in dist.score]
    fig = go.Figure(go.Bar(x=dist["score"], y=dist["responses"], marker_color=colours))
    fig.update_layout(height=260, margin={"t": 10, "b": 10}, xaxis={"dtick": 1})
    st.plotly_chart(fig, width="stretch")
    download(dist, "nps_distribution")
with right:
    st.subheader("CSAT scores")
    dist = pd.DataFrame(list(v["csat_dist"].items()), columns=["score", "responses"])
    fig = go.Figure(go.Bar(x=dist["score"], y=dist["responses"], marker_color="#1565c0"))
    fig.update_layout(height=260, margin={"t": 10, "b": 10}, xaxis={"dtick": 1})
    st.plotly_chart(fig, width="stretch")
    download(dist, "csat_distribution")

st.subheader("Latest comments")
comments = pd.DataFrame(
    v["comments"], columns=["responded_at", "respondent_id", "kind", "score", "comment"]
)
if comments.empty:
    st.caption("No comments in this period.")
st.dataframe(comments, hide_index=True)
download(comments, "comments")
