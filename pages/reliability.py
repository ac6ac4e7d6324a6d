"""Reliability: uptime per target with outages and gaps, the API's error rate and latency."""

from datetime import datetime

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboard.ui.common import page_header, settings, store
from dashboard.ui.markers import with_markers
from dashboard.ui.state import filters
from engine.kpi.units import format_value
from engine.periods import Period
from engine.reliability import kpis

STATE_COLOURS = {
    "up": "#2e9e5b",
    "down": "#d64545",
    "no_data": "#c8c8c8",
    "maintenance": "#4a7bd0",
    "monitoring gap": "#8a5cc7",
}
STATE_LABELS = {"no_data": "no data"}


def _period(start: str, end: str) -> Period:
    return Period(datetime.fromisoformat(start), datetime.fromisoformat(end), settings().tz, "")


@st.cache_data(ttl=60, show_spinner="Measuring reliability…")
def summary(start: str, end: str) -> dict:
    return kpis.reliability_summary(store(), _period(start, end))


@st.cache_data(ttl=60, show_spinner=False)
def timeline(start: str, end: str) -> dict:
    return kpis.status_timeline(store(), _period(start, end))


@st.cache_data(ttl=60, show_spinner=False)
def daily(start: str, end: str) -> list[kpis.DayReliability]:
    return kpis.reliability_daily(store(), _period(start, end))


@st.cache_data(ttl=60, show_spinner=False)
def hourly(start: str, end: str) -> list[dict]:
    period = _period(start, end)
    return kpis.hourly_requests(store(), period.start, period.end)


@st.cache_data(ttl=60, show_spinner=False)
def targets(start: str, end: str) -> list[dict]:
    return kpis.targets_table(store(), _period(start, end))


@st.cache_data(ttl=60, show_spinner=False)
def sources() -> tuple[bool, bool]:
    return kpis.has_probes(store()), kpis.has_requests(store())


page_header(
    "Reliability",
    "Is the product up, how often does the API fail, and how fast is it — measured, not claimed.",
)
f = filters()
tz = settings().tz
have_probes, have_requests = sources()
if not have_probes and not have_requests:
    st.info(
        "No reliability data yet. Add an uptime probe with `hub probe add NAME --url URL "
        "--critical` and run `hub worker`, import probe history with "
        "`hub import probes FILE.csv`, send request logs with `hub import requests FILE` or "
        "POST /v1/requests — or load the demo company with `hub demo`."
    )
    st.stop()

s = summary(f.start, f.end)
cols = st.columns(4)
cols[0].metric(
    "Uptime",
    format_value(s["uptime"], "ratio"),
    help=kpis.UPTIME_DEFINITION,
)
cols[1].metric(
    "Downtime",
    format_value(s["downtime_seconds"], "seconds"),
    help="System down time in the period (no-data and maintenance time excluded).",
)
outage_text = "—" if s["outages"] is None else f"{s['outages']}"
cols[2].metric(
    "Outages",
    outage_text,
    help="System outages overlapping the period; the caption gives the longest.",
)
if s["longest_outage_seconds"]:
    cols[2].caption(f"Longest: {format_value(s['longest_outage_seconds'], 'seconds')}")
cols[3].metric(
    "Error budget left",
    format_value(s["error_budget_remaining"], "ratio"),
    help="1 − downtime ÷ ((1 − 99.9 %) × measured time): negative once overspent.",
)
cols = st.columns(4)
cols[0].metric(
    "Error rate", format_value(s["error_rate"], "ratio"), help=kpis.ERROR_RATE_DEFINITION
)
cols[1].metric("API p95", format_value(s["latency_p95_ms"], "ms"), help=kpis.LATENCY_DEFINITION)
cols[2].metric(
    "API p50 / p99",
    f"{format_value(s['latency_p50_ms'], 'ms')} / {format_value(s['latency_p99_ms'], 'ms')}",
)
cols[3].metric(
    "Probe p95",
    format_value(s["probe_latency_p95_ms"], "ms"),
    help="p95 latency of successful checks of the critical targets.",
)
st.caption(
    f"{s['requests']:,} requests · no data for "
    f"{format_value(s['no_data_seconds'], 'seconds')} of the period (left out of uptime)"
)

st.subheader("Status timeline")
t = timeline(f.start, f.end)
if not t["targets"]:
    st.info("No probe targets yet: add one with `hub probe add NAME --url URL`.")
else:
    rows = []
    system_label = "System" + (" (critical targets)" if t["critical"] else " (all targets)")
    for label, spans in [(system_label, t["system"]), *t["targets"].items()]:
        rows += [
            {"row": label, "start": x["start"], "end": x["end"], "state": x["state"]} for x in spans
        ]
    rows += [
        {"row": "Prober", "start": g["start"], "end": g["end"], "state": "monitoring gap"}
        for g in t["gaps"]
    ]
    frame = pd.DataFrame(rows)
    frame["state"] = frame["state"].map(lambda v: STATE_LABELS.get(v, v))
    frame["start"] = pd.to_datetime(frame["start"], utc=True).dt.tz_convert(tz)
    frame["end"] = pd.to_datetime(frame["end"], utc=True).dt.tz_convert(tz)
    colours = {STATE_LABELS.get(k, k): v for k, v in STATE_COLOURS.items()}
    fig = px.timeline(
        frame,
        x_start="start",
        x_end="end",
        y="row",
        color="state",
        color_discrete_map=colours,
        category_orders={"row": [system_label, *t["targets"], "Prober"]},
    )
    fig.update_layout(height=120 + 40 * (len(t["targets"]) + 1), margin={"t": 10, "b": 10})
    fig.update_yaxes(title=None)
    st.plotly_chart(with_markers(fig, f.start, f.end), width="stretch")
    if t["outages"]:
        outages = pd.DataFrame(t["outages"])
        outages["start"] = pd.to_datetime(outages["start"], utc=True).dt.tz_convert(tz)
        outages["end"] = pd.to_datetime(outages["end"], utc=True).dt.tz_convert(tz)
        outages["length"] = outages["seconds"].map(lambda v: format_value(v, "seconds"))
        st.caption("System outages in the period")
        st.dataframe(outages[["start", "end", "length"]], hide_index=True, width="stretch")
    if t["maintenance"]:
        st.caption(
            "Maintenance windows (left out of uptime): "
            + "; ".join(
                f"{m['target'] or 'all targets'} "
                f"{pd.Timestamp(m['start']).tz_convert(tz):%Y-%m-%d %H:%M}–"
                f"{pd.Timestamp(m['end']).tz_convert(tz):%H:%M}"
                + (f" ({m['reason']})" if m["reason"] else "")
                for m in t["maintenance"]
            )
        )

st.subheader("Error rate and latency")
if not have_requests:
    st.info(kpis.NO_REQUESTS[0].upper() + kpis.NO_REQUESTS[1:] + ".")
else:
    period = f.period()
    if period.duration.total_seconds() <= 3 * 86400:
        series = pd.DataFrame(hourly(f.start, f.end))
        if not series.empty:
            series["when"] = pd.to_datetime(series["start"], utc=True).dt.tz_convert(tz)
    else:
        series = pd.DataFrame(
            [
                {
                    "when": d.day,
                    "requests": d.requests,
                    "error_rate": d.error_rate,
                    "p50_ms": d.p50,
                    "p95_ms": d.p95,
                    "p99_ms": d.p99,
                }
                for d in daily(f.start, f.end)
            ]
        )
    if series.empty or not series["requests"].sum():
        st.info("No requests logged in this period.")
    else:
        left, right = st.columns(2)
        rate = series.assign(error_rate_pct=series["error_rate"] * 100)
        fig = px.line(rate, x="when", y="error_rate_pct", labels={"error_rate_pct": "error rate %"})
        fig.add_hline(y=0.1, line_dash="dot", annotation_text="target 0.1 %")
        left.plotly_chart(with_markers(fig, f.start, f.end), width="stretch")
        lat = series.melt(
            id_vars="when", value_vars=["p50_ms", "p95_ms", "p99_ms"], var_name="percentile"
        )
        fig = px.line(lat, x="when", y="value", color="percentile", labels={"value": "ms"})
        fig.add_hline(y=100, line_dash="dot", annotation_text="p95 target 100 ms")
        right.plotly_chart(with_markers(fig, f.start, f.end), width="stretch")

st.subheader("Targets")
table = pd.DataFrame(targets(f.start, f.end))
if table.empty:
    st.info("No probe targets yet: add one with `hub probe add NAME --url URL`.")
else:
    shown = table.assign(
        uptime=table["uptime"].map(lambda v: format_value(v, "ratio")),
        downtime=table["downtime_seconds"].map(lambda v: format_value(v, "seconds")),
        state=table["last_ok"].map(lambda v: "—" if v is None else ("up" if v else "down")),
    )
    st.dataframe(
        shown[
            [
                "target",
                "url",
                "critical",
                "uptime",
                "downtime",
                "outages",
                "state",
                "last_checked_at",
            ]
        ],
        hide_index=True,
        width="stretch",
    )
    st.download_button(
        "Download targets (CSV)",
        table.to_csv(index=False).encode("utf-8"),
        file_name=f"reliability-targets-{f.start[:10]}.csv",
        mime="text/csv",
    )
