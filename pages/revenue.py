"""Revenue: MRR and its movements, churn, ARPA, LTV and CAC from Stripe.

A thin page: every figure comes from `engine.revenue.reports` through the cached calls
below; the page only lays them out.
"""

from __future__ import annotations

from datetime import date, datetime
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
from engine.revenue import reports
from engine.revenue.mrr import RULES

TTL = 60
MOVEMENT_COLOURS = {
    "new": "#2e7d32",
    "expansion": "#66bb6a",
    "reactivation": "#26a69a",
    "contraction": "#ffa726",
    "churn": "#e53935",
    "fx": "#90a4ae",
}


def _period(start: str, end: str) -> Period:
    tz = settings().tz
    return Period(datetime.fromisoformat(start), datetime.fromisoformat(end), tz, "")


@st.cache_data(ttl=TTL, show_spinner=False)
def has_data() -> bool:
    return reports.has_revenue_data(store())


@st.cache_data(ttl=TTL, show_spinner="Computing revenue KPIs…")
def kpis(start: str, end: str) -> dict[str, Any]:
    k = reports.revenue_kpis(store(), _period(start, end))
    ltv_cac = k.ltv_to_cac()
    return {**k.as_json(), "ltv_to_cac": None if ltv_cac is None else float(ltv_cac)}


@st.cache_data(ttl=TTL, show_spinner="Computing the MRR series…")
def series(first: str, last: str, by: str) -> list[dict[str, Any]]:
    period = Period.from_days(date.fromisoformat(first), date.fromisoformat(last), settings().tz)
    return reports.mrr_series(store(), period, by).rows


@st.cache_data(ttl=TTL, show_spinner=False)
def by_plan(start: str, end: str) -> list[dict[str, Any]]:
    return reports.mrr_by_plan(store(), _period(start, end))


@st.cache_data(ttl=TTL, show_spinner=False)
def customers(start: str, end: str) -> list[dict[str, Any]]:
    return reports.customers_by_mrr(store(), _period(start, end))


@st.cache_data(ttl=TTL, show_spinner=False)
def customer_history(customer_id: str) -> list[dict[str, Any]]:
    return reports.customer_movements(store(), customer_id)


# What each figure is, in the order shown: (key, label, unit, higher is better).
HEADLINE = (
    ("mrr_end", "MRR", "money", True),
    ("arr_end", "ARR", "money", True),
    ("paying_customers_end", "Paying customers", "count", True),
    ("arpa", "ARPA", "money", True),
    ("net_new_mrr", "Net new MRR", "money", True),
)
RATES = (
    ("customer_churn_rate", "Customer churn rate", "ratio", False),
    ("gross_mrr_churn_rate", "Gross MRR churn rate", "ratio", False),
    ("net_mrr_churn_rate", "Net MRR churn rate", "ratio", False),
    ("quick_ratio", "Quick ratio", "count", True),
    ("trial_conversion_rate", "Trial conversion", "ratio", True),
)
UNIT_ECONOMICS = (
    ("ltv", "LTV", "money", True),
    ("cac", "CAC", "money", False),
    ("ltv_to_cac", "LTV:CAC", "multiple", True),
    ("cac_payback_months", "CAC payback (months)", "count", False),
)
HELP = {
    "mrr_end": "MRR at the end of the last day of the period.",
    "arr_end": "12 × MRR at the end.",
    "paying_customers_end": "Customers whose MRR is above 0 at the end.",
    "arpa": "MRR at the end ÷ paying customers at the end.",
    "net_new_mrr": "new + expansion + reactivation − contraction − churn (FX excluded).",
    "customer_churn_rate": "Customers paying at the start who churned in the period ÷ paying "
    "customers at the start (customers who start and churn inside it are not counted).",
    "gross_mrr_churn_rate": "(churn + contraction) ÷ MRR at the start.",
    "net_mrr_churn_rate": "(churn + contraction − expansion − reactivation) ÷ MRR at the start.",
    "quick_ratio": "(new + expansion + reactivation) ÷ (contraction + churn).",
    "trial_conversion_rate": "Subscriptions whose trial ended in the period and that "
    "contribute MRR right after ÷ subscriptions whose trial ended in the period.",
    "ltv": "ARPA ÷ customer churn rate.",
    "cac": "Marketing spend in the period ÷ new customers in it.",
    "ltv_to_cac": "LTV ÷ CAC.",
    "cac_payback_months": "CAC ÷ ARPA.",
}


def _metric_row(items: tuple[tuple[str, str, str, bool], ...], now: dict, before: dict | None):
    currency = now["currency"]
    for col, (key, label, unit, better_up) in zip(st.columns(len(items)), items, strict=True):
        value, delta = now.get(key), None
        if before is not None and value is not None and before.get(key) is not None:
            change = value - before[key]
            delta = (
                format_value(change, "percent_points")
                if unit == "ratio"
                else ("+" if change >= 0 else "-") + format_value(abs(change), unit, currency)
            )
        col.metric(
            label,
            format_value(value, unit, currency) if value is not None else "—",
            delta=delta,
            delta_color="normal" if better_up else "inverse",
            help=HELP[key] + ("" if value is not None else " Shown as — when a denominator is 0."),
        )


def _chart(rows: list[dict[str, Any]], currency: str) -> go.Figure:
    buckets = [r["bucket"] for r in rows]
    fig = go.Figure()
    for kind, colour in MOVEMENT_COLOURS.items():
        sign = -1 if kind in ("contraction", "churn") else 1
        fig.add_bar(x=buckets, y=[sign * r[kind] for r in rows], name=kind, marker_color=colour)
    fig.add_scatter(
        x=buckets,
        y=[r["mrr_end"] for r in rows],
        name="MRR (end)",
        mode="lines+markers",
        yaxis="y2",
        line={"color": "#1e88e5", "width": 3},
    )
    fig.update_layout(
        barmode="relative",
        height=420,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        legend={"orientation": "h"},
        yaxis={"title": f"Movements ({currency})"},
        yaxis2={"title": f"MRR ({currency})", "overlaying": "y", "side": "right"},
    )
    return fig


page_header("Revenue", "MRR and its movements, churn, ARPA, LTV and CAC, from Stripe.")
f = filters()
period = f.period()
currency = settings().currency

if not has_data():
    st.info(
        "**No Stripe data yet.** Import events with `hub import stripe events.jsonl` "
        "(JSON lines, .gz accepted), pull them with `hub stripe sync` "
        "(set HUB_STRIPE_API_KEY), or point a Stripe webhook at `POST /webhooks/stripe` "
        "(set HUB_STRIPE_WEBHOOK_SECRET). Add `hub import spend spend.csv` for CAC and "
        "`hub import fx rates.csv` for other currencies. `hub demo` loads a demo company."
    )
    with st.expander("How MRR is computed"):
        st.markdown(RULES)
    st.stop()

try:
    now = kpis(f.start, f.end)
    previous_period = period.previous()
    before = (
        kpis(previous_period.start.isoformat(), previous_period.end.isoformat())
        if f.compare
        else None
    )
except HubError as exc:
    st.error(str(exc))
    st.stop()

st.caption(
    f"{period.first_day} – {period.last_day}, in {currency}"
    + (
        f"; compared with {previous_period.first_day} – {previous_period.last_day}"
        if before
        else ""
    )
)
_metric_row(HEADLINE, now, before)
_metric_row(RATES, now, before)
_metric_row(UNIT_ECONOMICS, now, before)

st.subheader("MRR over time")
controls = st.columns([2, 1])
span = controls[0].radio(
    "Range", ["Last 12 months", "Last 24 months", "Selected period"], horizontal=True
)
by = controls[1].selectbox("Bucket", list(reports.BUCKETS), index=0)
last_day = period.last_day
if span == "Selected period":
    first_day = period.first_day
else:
    months = 12 if span == "Last 12 months" else 24
    index = last_day.year * 12 + last_day.month - 1 - (months - 1)
    first_day = date(index // 12, index % 12 + 1, 1)
try:
    rows = series(first_day.isoformat(), last_day.isoformat(), by)
except HubError as exc:
    st.error(str(exc))
    rows = []
if rows:
    fig = with_markers(
        _chart(rows, currency),
        first_day.isoformat(),
        last_day.isoformat(),
        buckets=reports.buckets(first_day, last_day, by),
    )
    st.plotly_chart(fig, width="stretch")
    st.caption(
        "Each bucket: start + new + expansion + reactivation − contraction − churn + fx = end, "
        "to the cent."
    )
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")

if before is not None:
    st.subheader("Compared with the previous period")
    keys = [k for k in now if k != "currency"]
    table = pd.DataFrame(
        {
            "KPI": keys,
            "This period": [now[k] for k in keys],
            "Previous period": [before[k] for k in keys],
        }
    )
    st.dataframe(table, hide_index=True, width="stretch")

st.subheader("MRR by plan")
plans = by_plan(f.start, f.end)
if plans:
    st.bar_chart(pd.DataFrame(plans).set_index("plan")["mrr"], horizontal=True)
    st.dataframe(pd.DataFrame(plans), hide_index=True, width="stretch")
else:
    st.caption("No subscription contributes MRR at the end of the period.")

st.subheader("Customer drill-down")
picker = customers(f.start, f.end)
options = [c["customer_id"] for c in picker]
labels = {
    c["customer_id"]: f"{c['name'] or c['customer_id']} ({c['customer_id']}) — "
    f"{c['mrr']:,.2f} {c['currency']}"
    for c in picker
}
cols = st.columns(2)
chosen = cols[0].selectbox(
    "Customer (largest MRR first)", options, format_func=lambda c: labels.get(c, c), index=None
)
typed = cols[1].text_input("…or a customer id", placeholder="cus_…").strip()
customer_id = typed or chosen
if customer_id:
    try:
        history = customer_history(customer_id)
    except HubError as exc:
        st.warning(str(exc))
    else:
        if history:
            frame = pd.DataFrame(history)
            frame["subscriptions"] = frame["subscriptions"].map(", ".join)
            st.dataframe(frame, hide_index=True, width="stretch")
            st.download_button(
                "Download CSV",
                frame.to_csv(index=False).encode(),
                file_name=f"mrr-{customer_id}.csv",
                mime="text/csv",
            )
        else:
            st.caption(f"{customer_id} has no MRR movements (never paying, or only trials).")

with st.expander("How these numbers are computed"):
    st.markdown(RULES)
