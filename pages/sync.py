"""Sync: trigger, watch and repair the GitHub ⇄ AI Studio syncs."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from dashboard.ui.auth import act, can, needs
from dashboard.ui.common import page_header, store
from dashboard.ui.tables import table_with_download
from engine.access.roles import Permission
from engine.sync import service
from engine.sync.models import POLICIES, WRITE_MODES
from engine.sync.targets import DEFAULT_SCHEDULE, add_target, set_paused

page_header("Sync", "Keep the architecture model in step between GitHub and AI Studio.")


@st.cache_data(ttl=5, show_spinner=False)
def targets() -> list[dict]:
    return service.target_status(store())


@st.cache_data(ttl=5, show_spinner=False)
def jobs(target: str | None, status: str | None) -> list[dict]:
    return service.history(store(), target, limit=200, status=status)


@st.cache_data(ttl=5, show_spinner=False)
def conflicts(target: str | None) -> list[dict]:
    return service.list_conflicts(store(), target)


def refresh() -> None:
    targets.clear()
    jobs.clear()
    conflicts.clear()


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "never"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit} ago"
    return f"{seconds:.0f} s ago"


rows = targets()
with st.expander("➕ Add a target", expanded=not rows), st.form("add_target"):
    c1, c2 = st.columns(2)
    name = c1.text_input("Name", placeholder="platform")
    github = c2.text_input("GitHub file", placeholder="acme/platform:docs/architecture.json@main")
    drive = c1.text_input("Drive file id (AI Studio project file)")
    schedule = c2.text_input("Schedule (cron)", value=DEFAULT_SCHEDULE)
    policy = c1.selectbox("Conflict policy", POLICIES)
    mode = c2.selectbox("GitHub write mode", WRITE_MODES, index=1)
    if st.form_submit_button(
        "Add target",
        disabled=not can(Permission.target_manage),
        help=needs(Permission.target_manage),
    ):
        added = act(
            "Add target",
            add_target,
            name,
            github=github,
            drive=drive,
            policy=policy,
            write_mode=mode,
            schedule=schedule,
        )
        if added is not None:
            st.toast(f"Target {name} added", icon="✅")
            refresh()

if not rows:
    st.info(
        "No sync targets yet: add one above, or with "
        "`hub target add NAME --github OWNER/REPO:PATH --drive FILE_ID`."
    )
    st.stop()

st.subheader("Targets")
frame = pd.DataFrame(
    [
        {
            "target": r["target"],
            "last status": r["last_status"] or "never ran",
            "last success": _age(r["last_success_age_seconds"]),
            "next run (UTC)": r["next_run_at"] or "—",
            "open conflicts": r["open_conflicts"],
            "paused": r["paused_reason"] or "no",
            "breakers": ", ".join(f"{k}: {v}" for k, v in r["breakers"].items()),
            "github": r["github"],
            "drive file": r["drive_file_id"],
            "policy": r["policy"],
            "write mode": r["write_mode"],
            "pull request": r["pull_request_url"] or "",
        }
        for r in rows
    ]
)
table_with_download(frame, "sync-targets.csv")

names = [r["target"] for r in rows]
chosen = st.selectbox(
    "Target",
    names,
    key="sync_target",
    index=names.index(st.query_params.get("target", names[0]))
    if st.query_params.get("target") in names
    else 0,
)
st.query_params["target"] = chosen
current = next(r for r in rows if r["target"] == chosen)
c1, c2, c3 = st.columns([1, 1, 4])
if c1.button(
    "🔄 Sync now",
    type="primary",
    disabled=current["paused"] or not can(Permission.sync_trigger),
    help=needs(Permission.sync_trigger),
):
    queued = act("Sync now", service.sync_now, chosen, "manual")
    if queued is not None:
        st.session_state["watch_job"] = queued.job_id
        st.toast(
            f"Job {queued.job_id} {'queued' if queued.created else 'already running'}", icon="🔄"
        )
        refresh()
pause_help = needs(Permission.target_pause)
if current["paused"]:
    c3.warning(f"Paused: {current['paused_reason']}")
    change = c2.button("▶️ Resume", disabled=pause_help is not None, help=pause_help)
else:
    change = c2.button("⏸️ Pause", disabled=pause_help is not None, help=pause_help)
if change and (
    act(
        "Resume" if current["paused"] else "Pause",
        set_paused,
        chosen,
        not current["paused"],
        None if current["paused"] else "paused from the dashboard",
    )
    is not None
):
    refresh()
    st.rerun()


@st.fragment(run_every=2)
def live_status() -> None:
    job_id = st.session_state.get("watch_job")
    if not job_id:
        return
    job = service.get_job(store(), job_id)
    icon = {
        "queued": "⏳",
        "running": "🔄",
        "succeeded": "✅",
        "conflict": "⚠️",
        "failed": "❌",
        "cancelled": "🚫",
    }[job["status"]]
    st.markdown(
        f"{icon} Job **{job_id}** is **{job['status']}** ({len(job['attempts'])} attempt(s))"
    )
    if job["status"] not in ("queued", "running"):
        st.session_state.pop("watch_job", None)
        refresh()


live_status()

st.subheader("Conflict queue")
open_conflicts = conflicts(chosen)
if not open_conflicts:
    st.success("No open conflicts for this target.")
for c in open_conflicts:
    with st.container(border=True):
        st.markdown(
            f"**{c['path']}** · job {c['job_id']} · policy `{c['policy']}`"
            + (f" · deleted on {c['deleted_on']}" if c["deleted_on"] else "")
        )
        cols = st.columns(3)
        for col, label, key in zip(
            cols, ("Base", "GitHub", "AI Studio"), ("base", "github", "ai_studio"), strict=True
        ):
            col.caption(label)
            col.code(json.dumps(c[key], indent=2, sort_keys=True), language="json")
        b1, b2, b3 = st.columns(3)
        take = None
        if b1.button("Take GitHub", key=f"gh{c['id']}"):
            take = "github"
        if b2.button("Take AI Studio", key=f"ai{c['id']}"):
            take = "ai_studio"
        if b3.button("Keep base", key=f"base{c['id']}"):
            take = "base"
        edited = st.text_area(
            "Or edit the value (JSON)", key=f"val{c['id']}", value=json.dumps(c["ai_studio"])
        )
        apply_value = st.button("Apply edited value", key=f"apply{c['id']}")
        if take or apply_value:
            try:
                kwargs = (
                    {"take": take} if take else {"value": json.loads(edited), "has_value": True}
                )
            except ValueError as exc:
                st.error(f"Could not resolve: the edited value is not JSON ({exc})")
            else:
                done = act("Resolve conflict", service.resolve_conflict, c["id"], **kwargs)
                if done is not None:
                    queued = done[1]
                    st.toast(
                        f"Resolved {c['path']}; sync job {queued.job_id if queued else '—'}",
                        icon="✅",
                    )
                    if queued:
                        st.session_state["watch_job"] = queued.job_id
                    refresh()
                    st.rerun()

st.subheader("Job history")
f1, f2 = st.columns(2)
status_filter = f1.selectbox(
    "Status",
    ["all", "succeeded", "conflict", "failed", "queued", "running", "cancelled"],
    key="sync_status",
)
history = jobs(chosen, None if status_filter == "all" else status_filter)
if not history:
    st.info("No jobs yet for this target: press **Sync now**.")
else:
    hist = pd.DataFrame(
        [
            {
                "job": j["id"],
                "status": j["status"],
                "trigger": j["trigger"],
                "created (UTC)": j["created_at"],
                "attempts": len(j["attempts"]),
                "fetch ms": j["timings_ms"]["fetch"],
                "merge ms": j["timings_ms"]["merge"],
                "write ms": j["timings_ms"]["write"],
                "added": j["counts"]["added"],
                "changed": j["counts"]["changed"],
                "removed": j["counts"]["removed"],
                "conflicts": j["counts"]["conflicts"],
            }
            for j in history
        ]
    )
    table_with_download(hist, f"sync-jobs-{chosen}.csv")
    pick = f2.selectbox("Drill into job", [j["id"] for j in history], key="sync_job")
    job = next(j for j in history if j["id"] == pick)
    for a in job["attempts"]:
        with st.expander(
            f"Attempt {a['number']}: {a['status']}"
            + (f" · {a['origin']}/{a['type']}" if a["origin"] else ""),
            expanded=a["status"] == "failed",
        ):
            st.write(a["message"] or "—")
            if a["violations"]:
                table_with_download(
                    pd.DataFrame(a["violations"]),
                    f"job-{pick}-attempt-{a['number']}-violations.csv",
                )
