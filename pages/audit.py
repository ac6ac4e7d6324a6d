"""Audit: every privileged act, who did it, when, from where, with before and after."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pandas as pd
import streamlit as st

from dashboard.ui.auth import can
from dashboard.ui.common import page_header, settings, store
from dashboard.ui.tables import table_with_download
from engine.access import audit
from engine.access.roles import Permission

PAGE_ROWS = 1000  # newest first; the CSV holds every match up to EXPORT_ROWS
EXPORT_ROWS = 100_000
OUTCOMES = ["any", "ok", "denied", "failed"]


@st.cache_data(ttl=15, show_spinner=False)
def action_names() -> list[str]:
    return audit.actions(store())


@st.cache_data(ttl=15, show_spinner=False)
def find(
    actor: str, action: str, first: date, last: date, outcome: str, text: str, limit: int
) -> tuple[list[dict], int]:
    tz = settings().tz
    return audit.records(
        store(),
        actor=actor or None,
        action=action or None,
        since=datetime.combine(first, time(), tz),
        until=datetime.combine(last + timedelta(days=1), time(), tz),
        outcome=None if outcome == "any" else outcome,
        text=text or None,
        limit=limit,
    )


page_header("Audit", "Every privileged act: who, when, from where, what, before and after.")
if not can(Permission.audit_read):
    st.error("The audit trail is for admins.")
    st.stop()

q = st.query_params
today = datetime.now(settings().tz).date()


def _day(key: str, default: date) -> date:
    try:
        return date.fromisoformat(q.get(key, ""))
    except ValueError:
        return default


cols = st.columns([2, 2, 2, 1])
actor = cols[0].text_input("Who (starts with)", value=q.get("actor", ""), placeholder="ana@")
names = ["(any)", *action_names()]
wanted = q.get("action", "")
action = cols[1].selectbox(
    "What", names, index=names.index(wanted) if wanted in names else 0, accept_new_options=True
)
when = cols[2].date_input(
    "When",
    value=(_day("from", today - timedelta(days=29)), _day("to", today)),
    max_value=today,
)
outcome = cols[3].selectbox(
    "Outcome",
    OUTCOMES,
    index=OUTCOMES.index(q.get("outcome", "any")) if q.get("outcome", "any") in OUTCOMES else 0,
)
text = st.text_input("Target or detail contains", value=q.get("text", ""))
first, last = (when[0], when[-1]) if isinstance(when, tuple) and when else (today, today)
action = "" if action == "(any)" else action

params = {"actor": actor, "action": action, "from": first.isoformat(), "to": last.isoformat()}
params |= {"outcome": outcome, "text": text}
for key, value in params.items():  # shareable URL: the filters live in the query string
    if value and value != "any":
        st.query_params[key] = value
    elif key in st.query_params:
        del st.query_params[key]

rows, total = find(actor, action, first, last, outcome, text, PAGE_ROWS)
if total == 0:
    st.info(
        "No audit records match. Records appear as people act: sign-ins, syncs, conflict "
        "resolutions, probe and alert changes, incidents, checklist edits, decisions, imports."
    )
    st.stop()
st.caption(
    f"{total:,} record(s) match; the newest {min(total, PAGE_ROWS):,} are shown "
    f"(times in {settings().timezone}). Records are kept and never edited: see Admin → retention."
)
tz = settings().tz
frame = pd.DataFrame(
    [
        {
            "at": datetime.fromisoformat(r["at"]).astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
            "who": r["actor"],
            "role": r["role"],
            "from": r["channel"] + (f" ({r['address']})" if r["address"] else ""),
            "what": r["action"],
            "target": r["target"] or "",
            "outcome": r["outcome"],
            "before": "" if r["before"] is None else str(r["before"]),
            "after": "" if r["after"] is None else str(r["after"]),
            "detail": r["detail"] or "",
        }
        for r in rows
    ]
)
if total > PAGE_ROWS:
    st.dataframe(frame, hide_index=True, width="stretch")
    if st.button(f"Prepare CSV of all {min(total, EXPORT_ROWS):,} matching records"):
        everything, _ = find(actor, action, first, last, outcome, text, EXPORT_ROWS)
        st.download_button(
            "⬇️ CSV",
            pd.DataFrame(everything).to_csv(index=False).encode(),
            file_name="audit.csv",
            mime="text/csv",
        )
else:
    table_with_download(frame, "audit.csv")
