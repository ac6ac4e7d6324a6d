"""Admin: accounts and roles, API keys, retention, the effective configuration, security."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.ui.auth import act, can, principal
from dashboard.ui.common import page_header, store
from dashboard.ui.tables import table_with_download
from engine.access import keys, security, settings, users
from engine.access.roles import Permission, Role, Scope

page_header("Admin", "Who may sign in and do what, API keys, retention and security checks.")
if not can(Permission.user_manage):
    st.error("The Admin page is for admins.")
    st.stop()

# ------------------------------------------------------------------ users
st.subheader("Users and roles")
st.caption(
    "admin: everything · operator: syncs, conflicts, probes, alerts, incidents, checklist · "
    "viewer: reads every page and exports CSVs."
)
accounts = users.list_users(store())
if accounts:
    table_with_download(
        pd.DataFrame(
            [
                {
                    "email": u.email,
                    "role": u.role.value,
                    "status": "disabled" if u.disabled else "active",
                    "sign-in": "password" if u.has_password else "OIDC only",
                    "last sign-in (UTC)": f"{u.last_sign_in_at:%Y-%m-%d %H:%M}"
                    if u.last_sign_in_at
                    else "never",
                    "locked until (UTC)": f"{u.locked_until:%Y-%m-%d %H:%M}"
                    if u.locked_until
                    else "",
                }
                for u in accounts
            ]
        ),
        "users.csv",
    )
else:
    st.info(
        "No accounts yet: the hub signs in whoever opens it on 127.0.0.1 as admin. Adding the "
        "first account turns sign-in on for everyone (add yourself as admin first)."
    )
roles = [r.value for r in Role]
with st.form("add_user", clear_on_submit=True):
    c = st.columns([3, 1, 2])
    email = c[0].text_input("Email")
    role = c[1].selectbox("Role", roles, index=roles.index("viewer"))
    password = c[2].text_input(
        "Password (empty: OIDC sign-in only)", type="password", autocomplete="new-password"
    )
    if (
        st.form_submit_button("Add user")
        and act("Add user", users.add_user, email, role, password or None) is not None
    ):
        st.success(f"{email} added as {role}")
if accounts:
    with st.form("change_user"):
        c = st.columns([3, 1, 1])
        who = c[0].selectbox("User", [u.email for u in accounts])
        new_role = c[1].selectbox("New role", roles)
        action = c[2].selectbox("Or", ["change role", "disable", "enable", "remove"])
        if st.form_submit_button("Apply"):
            done = {
                "change role": lambda: act("Change role", users.set_role, who, new_role),
                "disable": lambda: act("Disable", users.set_disabled, who, True),
                "enable": lambda: act("Enable", users.set_disabled, who, False),
                "remove": lambda: act("Remove", users.remove_user, who),
            }[action]()
            if done is not None:
                st.success(f"{who}: {action} done")

# ------------------------------------------------------------------ keys
st.subheader("API keys")
st.caption(
    "ingest: send events, surveys, request logs, annotations · read: `GET /v1/kpis` and "
    "`/metrics` · admin: every endpoint. A key is shown once and stored hashed."
)
found = keys.list_keys(store())
if found:
    table_with_download(
        pd.DataFrame(
            [
                {
                    "name": k.name,
                    "scope": k.scope.value,
                    "prefix": k.prefix + "…",
                    "created by": k.created_by,
                    "created (UTC)": f"{k.created_at:%Y-%m-%d %H:%M}",
                    "last used (UTC)": f"{k.last_used_at:%Y-%m-%d %H:%M}"
                    if k.last_used_at
                    else "never",
                    "status": "active" if k.active else "revoked",
                }
                for k in found
            ]
        ),
        "api-keys.csv",
    )
else:
    st.info(
        "No API keys yet: create one below or with `hub keys create --name web --scope ingest`."
    )
with st.form("create_key", clear_on_submit=True):
    c = st.columns([3, 1])
    name = c[0].text_input("Key name", placeholder="web-app")
    scope = c[1].selectbox("Scope", [s.value for s in Scope])
    if st.form_submit_button("Create key"):
        made = act("Create key", keys.create_key, name, scope)
        if made is not None:
            st.session_state["new_key"] = (made[0].name, made[1])
new_key = st.session_state.pop("new_key", None)
if new_key:
    st.success(f"Key {new_key[0]!r} created. Copy it now: it is not shown again.")
    st.code(new_key[1], language=None)
live = [k.name for k in found if k.active]
if live:
    c = st.columns([3, 1])
    doomed = c[0].selectbox("Revoke key", live)
    revoke = c[1].button("Revoke", type="secondary")
    if revoke and act("Revoke key", keys.revoke_key, doomed) is not None:
        st.success(f"Key {doomed!r} revoked")

# ------------------------------------------------------------------ retention
st.subheader("Retention")
days = settings.retention_days(store())
with st.form("retention"):
    new_days = st.number_input(
        "Keep audit records (days)", min_value=settings.MIN_RETENTION_DAYS, value=days, step=1
    )
    save = st.form_submit_button("Save") and new_days != days
    if save and act("Retention", settings.set_retention_days, int(new_days)) is not None:
        st.success(f"Audit records are now kept {int(new_days)} days")

# ------------------------------------------------------------------ security
st.subheader("Security checklist")
icons = {"pass": "✅", "fail": "❌", "documented": "📄"}
checks = security.checklist(store())
table_with_download(
    pd.DataFrame(
        [
            {"": icons[c.status], "check": c.name, "status": c.status, "evidence": c.evidence}
            for c in checks
        ]
    ),
    "security-checklist.csv",
)

# ------------------------------------------------------------------ configuration
st.subheader("Effective configuration")
st.caption(f"Secrets are masked. Signed in as {principal().name}.")
config = settings.effective_config(store())
table_with_download(
    pd.DataFrame(
        [
            {"setting": f"HUB_{k.upper()}", "value": "" if v is None else str(v)}
            for k, v in config.items()
        ]
    ),
    "configuration.csv",
)
