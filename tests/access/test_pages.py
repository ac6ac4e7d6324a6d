"""Sign-in flows, role-aware controls and the Admin and Audit pages (AppTest)."""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from engine.access import audit, users
from engine.store import Store
from tests.actors import ADMIN
from tests.pages.harness import APP, assert_clean, clear_caches, open_page

PASSWORD = "correct horse battery"


def _app(address: str = "127.0.0.1") -> AppTest:
    clear_caches()
    st.config.set_option("server.address", address)
    return AppTest.from_file(str(APP), default_timeout=30)


def _sign_in(at: AppTest, email: str, password: str) -> AppTest:
    at.text_input[0].input(email)
    at.text_input[1].input(password)
    at.button[0].click()
    return at.run()


def _sidebar_text(at: AppTest) -> str:
    return " ".join(c.value for c in at.sidebar.caption)


def test_loopback_without_accounts_signs_in_the_local_admin(sqlite_store: Store) -> None:
    at = open_page("overview.py")
    assert_clean(at)
    assert "Signed in automatically as **admin**" in _sidebar_text(at)
    at = open_page("admin.py")
    assert_clean(at)
    assert at.title[0].value == "Admin"


def test_beyond_loopback_without_sign_in_the_dashboard_refuses(sqlite_store: Store) -> None:
    at = _app("0.0.0.0").run()
    assert at.title[0].value == "Sign-in is not configured"
    assert "hub user add" in at.error[0].value


def test_local_sign_in_wrong_then_right_password(sqlite_store: Store) -> None:
    users.add_user(sqlite_store, ADMIN, "ana@x.io", "operator", PASSWORD)
    at = _app().run()
    assert at.title[0].value == "🚀 Bakhmach Business Hub" and len(at.text_input) == 2
    at = _sign_in(at, "ana@x.io", "wrong password!!")
    assert "sign-in refused" in at.error[0].value
    at = _sign_in(at, "ana@x.io", PASSWORD)
    assert not at.exception
    assert at.title[0].value == "Overview"
    assert "Signed in as **ana@x.io** (operator)" in _sidebar_text(at)
    # An operator does not see the Admin section.
    assert all("Admin" not in str(getattr(p, "proto", "")) for p in at.sidebar)
    rows, _ = audit.records(sqlite_store, action="auth.sign_in")
    assert [r["outcome"] for r in rows] == ["ok", "failed"]


def test_viewer_sees_decisions_but_cannot_record_one(sqlite_store: Store) -> None:
    users.add_user(sqlite_store, ADMIN, "pm@x.io", "viewer", PASSWORD)
    at = _sign_in(_app().run(), "pm@x.io", PASSWORD)
    at.switch_page("../pages/launch.py")
    at = at.run()
    assert_clean(at)
    decide = next(b for b in at.button if b.label == "Record decision")
    assert decide.disabled and "Needs the admin role (you are viewer)" in decide.help


def test_oidc_user_is_matched_by_verified_email(sqlite_store: Store) -> None:
    users.add_user(sqlite_store, ADMIN, "ana@acme.io", "admin")
    at = _app()
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback"}
    at.user = {"is_logged_in": True, "email": "ana@acme.io", "email_verified": True}
    at.run()
    assert not at.exception and at.title[0].value == "Overview"
    assert "Signed in as **ana@acme.io** (admin)" in _sidebar_text(at)
    stranger = _app()
    stranger.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback"}
    stranger.user = {"is_logged_in": True, "email": "eve@evil.io", "email_verified": True}
    stranger.run()
    assert "has no hub account" in stranger.error[0].value


def test_admin_creates_a_key_and_sees_it_once(sqlite_store: Store) -> None:
    at = open_page("admin.py")
    name_box = next(t for t in at.text_input if t.label == "Key name")
    name_box.input("web")
    next(b for b in at.button if b.label == "Create key").click()
    at = at.run()
    assert_clean(at)
    shown = at.code[0].value
    assert shown.startswith("hub_")
    at = at.run()
    assert not at.code  # shown once
    assert shown not in " ".join(d.value.to_csv() for d in at.dataframe)


def test_audit_page_filters_and_keeps_filters_in_the_url(sqlite_store: Store) -> None:
    from engine.access import keys
    from engine.launch import control

    keys.create_key(sqlite_store, ADMIN, "web", "read")
    control.set_threshold(sqlite_store, ADMIN, "uptime_24h", 0.995)
    at = open_page("audit.py", {"action": "launch.set_threshold"})
    assert_clean(at)
    frame = at.dataframe[0].value
    assert list(frame["what"]) == ["launch.set_threshold"]
    assert frame["before"].iloc[0] == "{'uptime_24h': 0.999}"
    assert frame["who"].iloc[0] == ADMIN.name
    assert at.query_params["action"] == "launch.set_threshold"
    everything = open_page("audit.py")
    assert set(everything.dataframe[0].value["what"]) == {"key.create", "launch.set_threshold"}


@pytest.mark.parametrize("page", ["admin.py", "audit.py"])
def test_admin_pages_never_show_secrets(
    sqlite_store: Store, page: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUB_GITHUB_TOKEN", "ghp_supersecret123")
    monkeypatch.setenv("HUB_SLACK_WEBHOOK_URL", "https://hooks.slack.com/services/SECRET")
    at = open_page(page)
    assert_clean(at)
    everything = str([getattr(e, "value", "") for e in at.main]) + str(
        [d.value.to_csv() for d in at.dataframe]
    )
    assert "supersecret" not in everything and "services/SECRET" not in everything
