"""Launch: checklist by phase, live success and rollback criteria, and the go/no-go."""

import pandas as pd
import streamlit as st

from dashboard.ui.auth import act, can, needs, principal
from dashboard.ui.common import page_header, store
from dashboard.ui.tables import table_with_download
from engine.access.roles import Permission
from engine.launch import control

RESULT = {True: "✅ pass", False: "❌ fail", None: "⏳ pending"}


@st.cache_data(ttl=30, show_spinner="Evaluating launch criteria…")
def status() -> dict:
    return control.launch_status(store(allow_unreachable=True), details=True)


@st.cache_data(ttl=30, show_spinner=False)
def items() -> list[dict]:
    return control.checklist(store())


@st.cache_data(ttl=30, show_spinner=False)
def decisions() -> list[dict]:
    return control.list_decisions(store())


@st.cache_data(ttl=30, show_spinner=False)
def report_html() -> str:
    return control.launch_report_html(store())


EDITABLE = ("status", "owner", "notes", "evidence")


def _frame(phase_rows: list[dict]) -> pd.DataFrame:
    """A phase's items as the table both viewers and editors see."""
    return pd.DataFrame(
        [
            {
                "key": i["key"],
                "section": i["section"],
                "item": i["text"],
                "status": i["status"],
                "owner": i["owner"],
                "due (UTC)": i["due_at"].strftime("%Y-%m-%d %H:%M"),
                "live evidence": ""
                if i["live_ok"] is None
                else ("✅ " if i["live_ok"] else "❌ ") + i["live_evidence"],
                "notes": i["notes"],
                "evidence": i["evidence"],
            }
            for i in phase_rows
        ]
    )


def _editor(phase_rows: list[dict]) -> None:
    """The phase's items as an editable table; Save writes only the changed cells."""
    key = phase_rows[0]["key"].split(".")[0]
    frame = _frame(phase_rows).drop(columns=["section"])
    edited = st.data_editor(
        frame,
        key=f"checklist-editor-{key}",
        hide_index=True,
        width="stretch",
        disabled=[c for c in frame.columns if c not in EDITABLE],
        column_config={
            "status": st.column_config.SelectboxColumn(options=list(control.STATUSES)),
            "evidence": st.column_config.LinkColumn(),
        },
    )
    changes = [
        (row["key"], {c: row[c] for c in EDITABLE if row[c] != before[c]})
        for (_, row), (_, before) in zip(edited.iterrows(), frame.iterrows(), strict=True)
    ]
    changes = [(k, c) for k, c in changes if c]
    c1, c2 = st.columns([1, 4])
    if c1.button("Save changes", key=f"save-{key}", disabled=not changes):
        saved = [act(f"Item {k}", control.update_item, k, **c) for k, c in changes]
        if all(s is not None for s in saved):  # else act() showed why
            items.clear()
            status.clear()
            st.rerun()
    c2.download_button(
        "⬇️ CSV",
        frame.to_csv(index=False).encode(),
        file_name=f"checklist-{key}.csv",
        mime="text/csv",
        key=f"dl-checklist-{key}",
    )


def _value(v: object) -> str:
    return "—" if v is None else f"{v:.6g}" if isinstance(v, float) else str(v)


page_header("Launch", "Is the launch on track: the plan's checklist and criteria, evaluated live.")
s = status()
if s["decision_suggested"] == "rollback":
    st.error("**Rollback recommended**: " + "; ".join(s["reasons"]))
elif s["decision_suggested"] == "no_go":
    st.warning("**Suggested: NO-GO** — " + "; ".join(s["reasons"]))
else:
    st.success("**Suggested: GO** — every measurable criterion passes, nothing overdue.")
launch_text = f"{s['launch_at'][:16]} UTC" if s["launch_at"] else "unknown"
st.caption(f"Launch time {launch_text} · evaluated {s['evaluated_at'][:19]} UTC")

st.subheader("Success criteria")
success = pd.DataFrame(
    [
        {
            "criterion": r["name"],
            "value": _value(r["value"]),
            "threshold": f"{r['op']} {_value(r['threshold'])}",
            "result": RESULT[r["passed"]],
            "from": r["source"],
        }
        for r in s["success_details"]
    ]
)
table_with_download(success, "launch-success-criteria.csv")

st.subheader("Rollback criteria")
rollback = pd.DataFrame(
    [
        {
            "criterion": r["name"],
            "value": _value(r["value"]),
            "threshold": f"{r['op']} {_value(r['threshold'])}",
            "met": "🔴 met" if r["met"] else "no",
            "from": r["source"],
        }
        for r in s["rollback_details"]
    ]
)
table_with_download(rollback, "launch-rollback-criteria.csv")
if not s["store_reachable"]:
    st.error(
        "The store cannot be reached: the checklist, the decisions and the report come back "
        "with it. Check HUB_DATABASE_URL and the database server (`hub doctor`)."
    )
    st.stop()

st.subheader("Checklist")
progress = s["checklist"]
st.progress(
    progress["done"] / progress["total"] if progress["total"] else 0.0,
    text=f"{progress['done']} of {progress['total']} done",
)
rows = items()
for phase, counts in progress["by_phase"].items():
    phase_rows = [i for i in rows if i["phase"] == phase]
    overdue = sum(i["overdue"] for i in phase_rows)
    label = f"{phase} — {counts['done']}/{counts['total']} done" + (
        f" · {overdue} overdue" if overdue else ""
    )
    with st.expander(label):
        if can(Permission.checklist_edit):
            _editor(phase_rows)
            continue
        table_with_download(
            _frame(phase_rows), f"checklist-{phase_rows[0]['key'].split('.')[0]}.csv"
        )
st.caption(
    "Operators edit status, owner, notes and evidence in place (or with `hub launch item KEY "
    "--status done --owner NAME --evidence URL`); every edit is in the audit trail."
)

st.subheader("Go / no-go")
with st.form("decide"):
    cols = st.columns([1, 3])
    choice = cols[0].selectbox("Decision", ["go", "no_go", "rollback"])
    note = cols[1].text_input("Note")
    st.caption(f"Recorded as decided by **{principal().name}**, with a frozen snapshot.")
    if (
        st.form_submit_button(
            "Record decision",
            disabled=not can(Permission.launch_decide),
            help=needs(Permission.launch_decide),
        )
        and act("Record decision", control.record_decision, choice, note=note) is not None
    ):
        status.clear()
        decisions.clear()
        st.success(f"Decision {choice.upper()} recorded with a snapshot of every criterion.")
past = decisions()
if past:
    frame = pd.DataFrame(
        [
            {
                "at (UTC)": d["decided_at"][:16],
                "decision": d["decision"].upper(),
                "by": d["decided_by"],
                "suggested then": d["snapshot"]["decision_suggested"].upper(),
                "note": d["note"],
            }
            for d in past
        ]
    )
    table_with_download(frame, "launch-decisions.csv")
else:
    st.caption("No decision recorded yet.")
st.download_button(
    "⬇️ Launch report (HTML, printable)",
    report_html(),
    file_name="launch-report.html",
    mime="text/html",
)
