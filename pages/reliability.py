"""Reliability: uptime per target with outages and gaps, the API's error rate and latency."""

from datetime import datetime

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboard.ui.auth import act, can, needs, principal
from dashboard.ui.common import page_header, settings, store
from dashboard.ui.markers import with_markers
from dashboard.ui.state import filters
from dashboard.ui.tables import table_with_download
from engine.access.roles import Permission
from engine.errors import HubError
from engine.kpi.units import format_value
from engine.launch import alerts, slo
from engine.periods import Period
from engine.reliability import kpis, probes

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


@st.cache_data(ttl=60, show_spinner="Checking the SLOs…")
def slo_report() -> list[dict]:
    return slo.slo_report(store())


@st.cache_data(ttl=30, show_spinner=False)
def alert_rules() -> list[dict]:
    return alerts.list_rules(store())


@st.cache_data(ttl=30, show_spinner=False)
def alert_log() -> list[dict]:
    return alerts.deliveries(store())


@st.cache_data(ttl=30, show_spinner=False)
def channels() -> list[str]:
    return alerts.Notifier(store()).configured()


def _alerts_changed(message: str, ok: bool = True) -> None:
    alert_rules.clear()
    alert_log.clear()
    st.session_state["alert_msg"] = (ok, message)


def _add_rule() -> None:
    v = st.session_state
    try:
        if v["ar_metric"].startswith("burn: "):
            alerts.add_rule(
                store(),
                principal(),
                v["ar_name"],
                burn_slo=v["ar_metric"][6:],
                severity=v["ar_severity"],
            )
        else:
            alerts.add_rule(
                store(),
                principal(),
                v["ar_name"],
                metric=v["ar_metric"],
                op=v["ar_op"],
                threshold=v["ar_threshold"],
                window=v["ar_window"],
                severity=v["ar_severity"],
            )
        _alerts_changed(f"Alert rule {v['ar_name']} added.")
    except HubError as exc:
        _alerts_changed(str(exc), ok=False)


def _edit_rule(rule: dict) -> None:
    v = st.session_state
    try:
        is_kpi = rule["kind"] == "kpi"
        alerts.update_rule(
            store(),
            principal(),
            rule["name"],
            op=v["ae_op"] if is_kpi else None,
            threshold=v["ae_threshold"] if is_kpi else None,
            window=v["ae_window"] if is_kpi else None,
            severity=v["ae_severity"],
            enabled=v["ae_enabled"],
        )
        _alerts_changed(f"Alert rule {rule['name']} saved.")
    except HubError as exc:
        _alerts_changed(str(exc), ok=False)


def _remove_rule(name: str) -> None:
    try:
        alerts.remove_rule(store(), principal(), name)
        _alerts_changed(f"Alert rule {name} removed.")
    except HubError as exc:
        _alerts_changed(str(exc), ok=False)


def _send_test() -> None:
    try:
        sent = alerts.send_test(store(), principal())
    except HubError as exc:
        _alerts_changed(str(exc), ok=False)
        return
    failed = [c for c, ok in sent.items() if not ok]
    if failed:
        _alerts_changed(f"Test alert not delivered to {', '.join(failed)}: see the history.", False)
    else:
        _alerts_changed(
            f"Test alert delivered to {', '.join(sent)}: the launch checklist's "
            "“Confirm alerting is functional” now shows it as evidence."
        )


SLO_KIND_TEXT = {"availability": "availability ≥ {}", "error_rate": "error rate < {}"}


def slo_section() -> None:
    st.subheader("SLOs and error budgets", help=slo.__doc__)
    st.caption(
        "Each SLO over its own window ending now (not the sidebar period). Burn rate = error "
        "rate ÷ (1 − objective): page when the 1 h and 5 min burns both exceed 14.4 or the 6 h "
        "and 30 min both exceed 6; ticket when the 3 d and 6 h both exceed 1."
    )
    for r in slo_report():
        if r["budget"] is None:
            st.caption(
                f"**{r['name']}**: p95 < {r['objective']:g} ms over {r['window_days']} days. "
                "It has no error budget to burn: the API p95 above is its measure."
            )
            continue
        b, burn = r["budget"], r["burn"]
        objective = format_value(r["objective"], "ratio")
        with st.container(border=True):
            st.markdown(
                f"**{r['name']}** · {SLO_KIND_TEXT[r['kind']].format(objective)} "
                f"over {r['window_days']} days"
            )
            unit = b["unit"]

            def amount(v: float | None, unit: str = unit) -> str:
                if v is None:
                    return "—"
                return format_value(v, "seconds") if unit == "seconds" else f"{v:,.1f} requests"

            cols = st.columns(4)
            cols[0].metric("Objective", objective, help=f"Window: {r['window_days']} days")
            cols[1].metric(
                "Error budget",
                amount(b["budget"]),
                help="(1 − objective) × measured up+down time"
                if unit == "seconds"
                else "objective × requests in the window",
            )
            cols[2].metric("Consumed", amount(b["consumed"]))
            cols[3].metric(
                "Remaining",
                format_value(b["remaining"], "ratio"),
                help="1 − consumed ÷ budget; negative once overspent, — when the budget is 0.",
            )
            if b["budget"] == 0:
                st.caption(
                    "No budget to measure against: "
                    + ("no probe data in the window." if unit == "seconds" else "no requests.")
                )
            if all(v is None for v in burn["burn"].values()):
                st.info("No requests in the burn-rate windows: burn rates are undefined.")
            elif burn["alert"] == "page":
                st.error("🔴 **Page**: " + "; ".join(burn["rules"]))
            elif burn["alert"] == "ticket":
                st.warning("🟠 **Ticket**: " + "; ".join(burn["rules"]))
            else:
                st.success("🟢 No burn-rate alert: no multiwindow rule holds.")
            checks = pd.DataFrame(
                [
                    {
                        "alert": c["severity"],
                        "rule": f"{c['long_window']} and {c['short_window']} > {c['threshold']:g}",
                        "burn (long)": "—" if c["long_burn"] is None else f"{c['long_burn']:.2f}",
                        "burn (short)": "—"
                        if c["short_burn"] is None
                        else f"{c['short_burn']:.2f}",
                        "holds": "🔴 yes" if c["holds"] else "no",
                    }
                    for c in burn["checks"]
                ]
            )
            windows = pd.DataFrame(
                [{w: "—" if v is None else f"{v:.2f}" for w, v in burn["burn"].items()}]
            )
            st.caption("Burn rate by window (ending now)")
            table_with_download(windows, f"slo-{r['name']}-burn.csv")
            table_with_download(checks, f"slo-{r['name']}-rules.csv")


def _probes_changed() -> None:
    sources.clear()
    targets.clear()
    summary.clear()
    timeline.clear()


def probes_section() -> None:
    """Probe targets and maintenance windows: the same operations as `hub probe|maintenance`."""
    manage = needs(Permission.probe_manage)
    with st.expander("🛰️ Probes and maintenance windows"):
        configured = [p for p in probes.list_probes(store()) if p.configured]
        if configured:
            table_with_download(
                pd.DataFrame([p.to_dict() for p in configured]), "probe-targets.csv"
            )
        with st.form("add_probe", clear_on_submit=True):
            st.markdown("**Add a probe** (the worker checks it on its interval)")
            c = st.columns([2, 4, 1])
            name = c[0].text_input("Name", placeholder="api")
            url = c[1].text_input("URL", placeholder="https://api.example.com/healthz")
            method = c[2].selectbox("Method", probes.METHODS)
            c = st.columns([1, 1, 1, 2, 1])
            interval = c[0].text_input("Interval", value="60s")
            timeout = c[1].text_input("Timeout", value="10s")
            expect = c[2].text_input("Expect status", value="200-299")
            contains = c[3].text_input("Body contains (optional)")
            critical = c[4].checkbox("Critical", help="System uptime counts critical targets.")
            if (
                st.form_submit_button("Add probe", disabled=manage is not None, help=manage)
                and act(
                    "Add probe",
                    probes.add_probe,
                    name,
                    url,
                    method=method,
                    interval=interval,
                    timeout=timeout,
                    expect=expect,
                    contains=contains or None,
                    critical=critical,
                )
                is not None
            ):
                _probes_changed()
                st.success(f"Probe {name} added")
        if configured:
            c = st.columns([3, 2, 1])
            doomed = c[0].selectbox("Remove probe", [p.name for p in configured])
            purge = c[1].checkbox("Also delete its history")
            if (
                c[2].button("Remove", disabled=manage is not None, help=manage, key="probe_remove")
                and act("Remove probe", probes.remove_probe, doomed, purge=purge) is not None
            ):
                _probes_changed()
                st.success(f"Probe {doomed} removed")
        with st.form("add_maintenance", clear_on_submit=True):
            st.markdown(f"**Declare a maintenance window** (times in {settings().timezone})")
            c = st.columns([2, 2, 2, 3])
            names = [p.name for p in probes.list_probes(store())]
            target = c[0].selectbox("Target", ["(all targets)", *names])
            start = c[1].text_input("From", placeholder="2026-01-09 02:00")
            end = c[2].text_input("To", placeholder="2026-01-09 03:00")
            reason = c[3].text_input("Reason")
            if st.form_submit_button("Declare window", disabled=manage is not None, help=manage):
                try:
                    a = probes.parse_local_instant(start, settings().tz, "From")
                    b = probes.parse_local_instant(end, settings().tz, "To")
                except HubError as exc:
                    st.error(str(exc))
                else:
                    if act(
                        "Maintenance window",
                        probes.add_maintenance,
                        a,
                        b,
                        target=None if target == "(all targets)" else target,
                        reason=reason,
                    ):
                        _probes_changed()
                        st.success("Maintenance window declared: left out of uptime")
        windows = probes.list_maintenance(store())
        if windows:
            table_with_download(pd.DataFrame(windows), "maintenance-windows.csv")


def alerts_section() -> None:
    st.subheader("Alerts")
    if msg := st.session_state.pop("alert_msg", None):
        (st.success if msg[0] else st.error)(msg[1])
    configured = channels()
    st.caption(
        "Channels: "
        + (
            ", ".join(configured)
            if configured
            else "none — set HUB_SLACK_WEBHOOK_URL or `hub alert webhook URL`"
        )
        + ". A notification goes out once when a rule fires and once when it resolves."
    )
    st.button(
        "🧪 Send test alert",
        key="alert_test",
        on_click=_send_test,
        disabled=not configured or not can(Permission.alert_manage),
        help=needs(Permission.alert_manage)
        or "Sends a test to every configured channel; a delivery is the checklist's evidence "
        "for “Confirm alerting is functional”.",
    )
    rules = alert_rules()
    if rules:
        table_with_download(
            pd.DataFrame(
                [
                    {
                        "rule": x["name"],
                        "when": f"burn rate of SLO {x['metric']}"
                        if x["kind"] == "burn"
                        else f"{x['metric']} {x['op']} {x['threshold']:g} over "
                        f"{format_value(x['window_seconds'], 'seconds')}",
                        "severity": x["severity"],
                        "enabled": x["enabled"],
                        "state": "🔴 firing" if x["firing"] else "ok",
                        "last value": x["last_value"],
                    }
                    for x in rules
                ]
            ),
            "alert-rules.csv",
        )
    else:
        st.info(
            "No alert rules yet: add one below, or with `hub alert add NAME --metric error_rate "
            "--op '>' --threshold 0.05 --window 5m --severity page` (or `--burn availability`)."
        )
    with st.expander("➕ Add an alert rule", expanded=not rules), st.form("alert_add"):
        c1, c2, c3 = st.columns(3)
        c1.text_input("Name", key="ar_name", placeholder="errors-5m")
        burnable = [f"burn: {x['name']}" for x in slo_report() if x["budget"] is not None]
        c2.selectbox(
            "Metric",
            [*alerts.METRICS, *burnable],
            key="ar_metric",
            help="A KPI with op, threshold and window, or an SLO's burn rate (page or ticket).",
        )
        c3.selectbox("Severity", alerts.SEVERITIES, key="ar_severity")
        c1.selectbox("Op", list(alerts.OPS), key="ar_op")
        c2.number_input("Threshold", key="ar_threshold", value=0.05, format="%g")
        c3.text_input("Window", key="ar_window", value="5m", help="30s, 5m, 1h, 3d")
        st.form_submit_button(
            "Add rule",
            on_click=_add_rule,
            key="ar_submit",
            disabled=not can(Permission.alert_manage),
            help=needs(Permission.alert_manage),
        )
    if rules:
        with st.expander("✏️ Edit or remove a rule"):
            names = [x["name"] for x in rules]
            name = st.selectbox("Rule", names, key="ae_rule")
            rule = next(x for x in rules if x["name"] == name)
            is_kpi = rule["kind"] == "kpi"
            with st.form(f"alert_edit_{name}"):
                c1, c2, c3, c4 = st.columns(4)
                ops = list(alerts.OPS)
                c1.selectbox(
                    "Op", ops, index=ops.index(rule["op"]), key="ae_op", disabled=not is_kpi
                )
                c2.number_input(
                    "Threshold",
                    value=float(rule["threshold"]),
                    key="ae_threshold",
                    format="%g",
                    disabled=not is_kpi,
                )
                c3.text_input(
                    "Window",
                    value=f"{rule['window_seconds']}s",
                    key="ae_window",
                    disabled=not is_kpi,
                )
                severities = list(alerts.SEVERITIES if is_kpi else ("page", "ticket"))
                c4.selectbox(
                    "Severity",
                    severities,
                    index=severities.index(rule["severity"]),
                    key="ae_severity",
                )
                st.checkbox("Enabled", value=rule["enabled"], key="ae_enabled")
                st.form_submit_button(
                    "Save rule",
                    on_click=_edit_rule,
                    args=(rule,),
                    key="ae_submit",
                    disabled=not can(Permission.alert_manage),
                    help=needs(Permission.alert_manage),
                )
            st.button(
                f"🗑️ Remove {name}",
                key="ae_remove",
                on_click=_remove_rule,
                args=(name,),
                disabled=not can(Permission.alert_manage),
                help=needs(Permission.alert_manage),
            )

    st.markdown("**Alert history** — every send: when, rule, fired or resolved, channel, delivered")
    log = alert_log()
    if log:
        table_with_download(
            pd.DataFrame(
                [
                    {
                        "at (UTC)": x["at"].strftime("%Y-%m-%d %H:%M:%S"),
                        "rule": x["rule"],
                        "event": {"fire": "fired", "resolve": "resolved"}.get(
                            x["event"], x["event"]
                        ),
                        "severity": x["severity"],
                        "channel": x["channel"] or "— (none configured)",
                        "attempts": x["attempts"],
                        "delivered": "✅ yes" if x["delivered"] else "❌ no",
                        "error": x["error"] or "",
                        "message": x["message"],
                    }
                    for x in log
                ]
            ),
            "alert-history.csv",
        )
    else:
        st.caption(
            "No alert sent yet: a rule sends when it fires or resolves (the worker evaluates "
            "every 30 s), and “Send test alert” sends a test."
        )


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
    probes_section()
    alerts_section()
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

slo_section()
probes_section()
alerts_section()
