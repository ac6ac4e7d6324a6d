"""Sign-in for the dashboard and the principal every page acts as.

The rule (engine.access.policy): on 127.0.0.1 with no accounts and no OIDC provider the
visitor is the local admin (and every page says so); otherwise everyone signs in, through
`st.login` when an `[auth]` provider is in secrets.toml, else with a local account.
Pages only read `principal()`; the engine checks every write against it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from dashboard.ui.common import store
from engine.access import sessions
from engine.access.policy import LOCAL_ADMIN, UNCONFIGURED_HELP, SignInMode, sign_in_mode
from engine.access.principal import Principal
from engine.access.roles import Permission, PermissionDenied, Role, least_role
from engine.access.users import SignInRefused, authenticate, oidc_principal
from engine.errors import HubError

_KEY = "hub_principal"
UNVERIFIED = Principal("unverified (store unreachable)", Role.viewer, "dashboard")
_TOKEN = "hub_session_token"


def _oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets.toml at all
        return False


def _address() -> str | None:
    try:
        address = st.context.ip_address
    except Exception:
        return None
    return address if isinstance(address, str) else None


def sign_in() -> Principal:
    """The signed-in principal, or a sign-in screen and `st.stop()`."""
    oidc = _oidc_configured()
    host = st.get_option("server.address")
    try:
        mode = sign_in_mode(store(allow_unreachable=True), host, oidc=oidc)
    except (HubError, SQLAlchemyError):
        # No store, no accounts to check. Nothing can be read or written either, but the
        # pages that report the outage ("Rollback recommended: database connectivity
        # lost") must still show it, so the visitor gets a viewer that can only see that.
        st.session_state[_KEY] = UNVERIFIED
        return UNVERIFIED
    if mode is SignInMode.local_admin:
        st.session_state[_KEY] = LOCAL_ADMIN
        return LOCAL_ADMIN
    if mode is SignInMode.unconfigured:
        st.title("Sign-in is not configured")
        st.error(UNCONFIGURED_HELP.format(host=host or "every interface"))
        st.stop()
    who = _oidc_user() if oidc else _local_user()
    st.session_state[_KEY] = who
    return who


def _oidc_user() -> Principal:
    if not st.user.is_logged_in:
        _screen_header()
        st.button("Sign in", type="primary", on_click=st.login)
        st.stop()
    email = str(st.user.get("email") or "")
    cached: Principal | None = st.session_state.get(_KEY)
    if cached is not None and cached.name == email.lower() and cached.channel == "dashboard":
        # The role is re-read on every run, so a changed role applies on the next click.
        from engine.access.users import find_user, principal_for

        user = find_user(store(), email)
        if user is not None and not user.disabled:
            return principal_for(user, "dashboard", _address())
        if user is None and cached.user_id is None:
            return cached  # a viewer admitted by domain
    try:
        return oidc_principal(
            store(), email, st.user.get("email_verified") is True, address=_address()
        )
    except SignInRefused as exc:
        st.session_state.pop(_KEY, None)
        _screen_header()
        st.error(str(exc))
        st.button("Sign out", on_click=st.logout)
        st.stop()
        raise AssertionError from exc  # st.stop() does not return


def _local_user() -> Principal:
    token = st.session_state.get(_TOKEN)
    if token:
        who = sessions.resume(store(), token, address=_address())
        if who is not None:
            return who
        st.session_state.pop(_TOKEN, None)
        st.session_state["hub_signin_notice"] = "Your session ended: sign in again."
    _screen_header()
    notice = st.session_state.pop("hub_signin_notice", None)
    if notice:
        st.info(notice)
    with st.form("sign_in"):
        email = st.text_input("Email")
        password = st.text_input("Password", type="password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        try:
            who = authenticate(store(), email, password, address=_address())
        except SignInRefused as exc:
            st.error(str(exc))
        else:
            st.session_state[_TOKEN] = sessions.start(store(), who)
            st.rerun()
    st.stop()
    raise AssertionError("unreachable")


def _screen_header() -> None:
    st.title("🚀 Bakhmach Business Hub")
    st.caption("Sign in to see the launch-control room.")


def sidebar_identity(who: Principal) -> None:
    """Who is signed in (and how to leave), at the foot of the sidebar."""
    with st.sidebar:
        if who is UNVERIFIED:
            st.caption("🔒 Sign-in is unavailable: the store cannot be reached.")
            return
        if who is LOCAL_ADMIN:
            st.caption(
                "🔓 Signed in automatically as **admin**: the hub listens on 127.0.0.1 and has "
                "no accounts yet. `hub user add EMAIL --role admin` turns sign-in on."
            )
            return
        st.caption(f"Signed in as **{who.name}** ({who.role.value})")
        if st.session_state.get(_TOKEN):
            if st.button("Sign out", key="hub_sign_out"):
                sessions.end(store(), st.session_state.pop(_TOKEN), who)
                st.session_state.pop(_KEY, None)
                st.rerun()
        elif _oidc_configured():
            st.button("Sign out", key="hub_sign_out", on_click=st.logout)


def principal() -> Principal:
    """The principal of this browser session (set by the entry point on every run)."""
    who = st.session_state.get(_KEY)
    if who is None:  # a page run without the entry point: only tests do this
        raise HubError("no principal: pages run through dashboard/app.py")
    return who


def can(permission: Permission) -> bool:
    return principal().can(permission)


def needs(permission: Permission) -> str | None:
    """Help text for a control the principal may not use (None when they may)."""
    if can(permission):
        return None
    return f"Needs the {least_role(permission).value} role (you are {principal().role.value})"


def act(label: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any | None:
    """Run an engine write as the principal; show a refusal or an error instead of raising.

    Returns the operation's result (True for operations that return nothing), or None
    when it was refused or failed.
    """
    try:
        result = fn(store(), principal(), *args, **kwargs)
        return True if result is None else result
    except PermissionDenied as exc:
        st.error(f"{label}: refused. {exc}")
    except HubError as exc:
        st.error(f"{label}: {exc}")
    return None
