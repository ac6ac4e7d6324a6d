"""Accounts, passwords, lockout, sessions, API keys and the audit trail they leave."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from engine.access import audit, keys, sessions, settings, users
from engine.access.models import ApiKey, AuditRecord, User
from engine.access.roles import Role
from engine.errors import InputError
from engine.store import Store
from engine.store.base import utcnow
from tests.actors import ADMIN

PASSWORD = "correct horse battery"


def test_passwords_are_stored_as_argon2id_hashes(store: Store) -> None:
    users.add_user(store, ADMIN, "Ana@Example.com", "operator", PASSWORD)
    with store.session() as s:
        user = s.scalar(select(User))
        assert user.email == "ana@example.com"
        assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    who = users.authenticate(store, "ana@example.com", PASSWORD)
    assert who.role is Role.operator and who.name == "ana@example.com"


def test_short_password_and_bad_role_are_refused_with_the_field(store: Store) -> None:
    with pytest.raises(InputError, match="password: at least 12"):
        users.add_user(store, ADMIN, "a@x.io", "viewer", "short")
    with pytest.raises(InputError, match="role: 'boss'"):
        users.add_user(store, ADMIN, "a@x.io", "boss", PASSWORD)
    with pytest.raises(InputError, match="email"):
        users.add_user(store, ADMIN, "not-an-email", "viewer", PASSWORD)
    assert users.list_users(store) == []


def test_lockout_after_repeated_failures_then_unlock(store: Store) -> None:
    users.add_user(store, ADMIN, "a@x.io", "viewer", PASSWORD)
    now = utcnow()
    for _ in range(5):
        with pytest.raises(users.SignInRefused):
            users.authenticate(store, "a@x.io", "wrong password!", now=now)
    # Locked: even the right password is refused, with the same message.
    with pytest.raises(users.SignInRefused, match="wrong email or password, or the account"):
        users.authenticate(store, "a@x.io", PASSWORD, now=now + timedelta(minutes=1))
    assert users.authenticate(store, "a@x.io", PASSWORD, now=now + timedelta(minutes=16))
    rows, _ = audit.records(store, action="auth.sign_in")
    outcomes = [r["outcome"] for r in reversed(rows)]
    assert outcomes == ["failed"] * 6 + ["ok"]
    assert "locked for 15 min" in rows[-5]["detail"]


def test_unknown_email_is_refused_like_a_wrong_password(store: Store) -> None:
    users.add_user(store, ADMIN, "a@x.io", "viewer", PASSWORD)
    with pytest.raises(users.SignInRefused) as unknown:
        users.authenticate(store, "nobody@x.io", PASSWORD)
    with pytest.raises(users.SignInRefused) as wrong:
        users.authenticate(store, "a@x.io", "not the password")
    assert str(unknown.value) == str(wrong.value)


def test_sessions_expire_when_idle_and_at_their_maximum(store: Store) -> None:
    users.add_user(store, ADMIN, "a@x.io", "admin", PASSWORD)
    now = utcnow()
    who = users.authenticate(store, "a@x.io", PASSWORD, now=now)
    token = sessions.start(store, who, now=now)
    assert sessions.resume(store, token, now=now + timedelta(hours=7)).name == "a@x.io"
    assert sessions.resume(store, token, now=now + timedelta(hours=7, minutes=30)) is not None
    # Idle 8 h (the default) after the last use: over.
    assert sessions.resume(store, token, now=now + timedelta(hours=16)) is None
    # A session used all the time still ends 24 h after it began.
    token2 = sessions.start(store, who, now=now)
    for hour in range(1, 24):
        assert sessions.resume(store, token2, now=now + timedelta(hours=hour)) is not None
    assert sessions.resume(store, token2, now=now + timedelta(hours=24)) is None
    assert sessions.resume(store, "forged-token") is None


def test_role_change_and_disable_apply_to_a_live_session(store: Store) -> None:
    users.add_user(store, ADMIN, "a@x.io", "operator", PASSWORD)
    token = sessions.start(store, users.authenticate(store, "a@x.io", PASSWORD))
    users.set_role(store, ADMIN, "a@x.io", "viewer")
    assert sessions.resume(store, token).role is Role.viewer
    users.set_disabled(store, ADMIN, "a@x.io", True)
    assert sessions.resume(store, token) is None
    with pytest.raises(users.SignInRefused):
        users.authenticate(store, "a@x.io", PASSWORD)


def test_password_reset_ends_sessions_and_lifts_a_lock(store: Store) -> None:
    users.add_user(store, ADMIN, "a@x.io", "viewer", PASSWORD)
    token = sessions.start(store, users.authenticate(store, "a@x.io", PASSWORD))
    users.reset_password(store, ADMIN, "a@x.io", "another long password")
    assert sessions.resume(store, token) is None
    with pytest.raises(users.SignInRefused):
        users.authenticate(store, "a@x.io", PASSWORD)
    assert users.authenticate(store, "a@x.io", "another long password")


def test_the_last_admin_cannot_be_demoted_disabled_or_removed(store: Store) -> None:
    users.add_user(store, ADMIN, "boss@x.io", "admin", PASSWORD)
    for attempt in (
        lambda: users.set_role(store, ADMIN, "boss@x.io", "viewer"),
        lambda: users.set_disabled(store, ADMIN, "boss@x.io", True),
        lambda: users.remove_user(store, ADMIN, "boss@x.io"),
    ):
        with pytest.raises(InputError, match="last admin"):
            attempt()
    users.add_user(store, ADMIN, "deputy@x.io", "admin", PASSWORD)
    users.set_role(store, ADMIN, "boss@x.io", "viewer")
    assert users.find_user(store, "boss@x.io").role is Role.viewer


def test_oidc_matches_verified_email_and_optional_viewer_domain(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    users.add_user(store, ADMIN, "ana@acme.io", "operator")  # OIDC only: no password
    assert users.oidc_principal(store, "Ana@Acme.io", True).role is Role.operator
    with pytest.raises(users.SignInRefused, match="verified"):
        users.oidc_principal(store, "ana@acme.io", False)
    with pytest.raises(users.SignInRefused, match="no hub account"):
        users.oidc_principal(store, "bob@acme.io", True)
    monkeypatch.setenv("HUB_OIDC_VIEWER_DOMAIN", "acme.io")
    assert users.oidc_principal(store, "bob@acme.io", True).role is Role.viewer
    with pytest.raises(users.SignInRefused):
        users.oidc_principal(store, "eve@evil.io", True)
    with pytest.raises(users.SignInRefused):  # no password: local sign-in impossible
        users.authenticate(store, "ana@acme.io", "")


def test_api_keys_are_shown_once_stored_hashed_and_revocable(store: Store) -> None:
    _view, raw = keys.create_key(store, ADMIN, "web", "ingest")
    assert raw.startswith("hub_ingest_") and len(raw) > 40
    with store.session() as s:
        row = s.scalar(select(ApiKey))
        assert raw not in (row.key_hash, row.prefix) and len(row.key_hash) == 64
    who = keys.authenticate_key(store, raw)
    assert who is not None and who.scope.value == "ingest" and who.name == "key:web"
    assert keys.list_keys(store)[0].last_used_at is not None
    assert keys.authenticate_key(store, raw + "x") is None
    keys.revoke_key(store, ADMIN, "web")
    assert keys.authenticate_key(store, raw) is None
    with pytest.raises(InputError, match="scope"):
        keys.create_key(store, ADMIN, "bad", "superuser")
    with pytest.raises(InputError, match="already exists"):
        keys.create_key(store, ADMIN, "web", "read")


def test_audit_records_before_and_after_and_masks_secrets(store: Store) -> None:
    from engine.launch import alerts, control

    users.add_user(store, ADMIN, "a@x.io", "viewer", PASSWORD)
    users.set_role(store, ADMIN, "a@x.io", "operator")
    control.set_threshold(store, ADMIN, "uptime_24h", 0.995)
    alerts.set_default_webhook(store, ADMIN, "https://hooks.slack.com/services/T0/B0/SECRET123")
    settings.set_retention_days(store, ADMIN, 400)
    rows, _total = audit.records(store)
    by_action = {r["action"]: r for r in rows}
    assert by_action["user.set_role"]["before"] == {"role": "viewer"}
    assert by_action["user.set_role"]["after"] == {"role": "operator"}
    assert by_action["launch.set_threshold"]["before"] == {"uptime_24h": 0.999}
    assert by_action["launch.set_threshold"]["after"] == {"uptime_24h": 0.995}
    assert by_action["settings.change"]["after"] == {"audit_retention_days": 400}
    assert all(r["actor"] == ADMIN.name and r["channel"] == "cli" for r in rows)
    assert "SECRET123" not in str(rows) and PASSWORD not in str(rows)
    assert audit.redact({"password": "p", "nested": {"api_token": "t"}}) == {
        "password": audit.MASK,
        "nested": {"api_token": audit.MASK},
    }


def test_audit_records_cannot_be_updated_but_retention_deletes_old_ones(store: Store) -> None:
    users.add_user(store, ADMIN, "a@x.io", "viewer", PASSWORD)
    with pytest.raises(DBAPIError, match="append-only"), store.session() as s:
        s.execute(update(AuditRecord).values(actor="someone else"))
    with store.session() as s:
        s.execute(
            text(
                "INSERT INTO audit_records (at, actor, role, channel, action, outcome) "
                "VALUES (:at, 'old', 'admin', 'cli', 'user.add', 'ok')"
            ),
            {"at": (utcnow() - timedelta(days=400)).replace(tzinfo=None)},
        )
    assert audit.purge(store) == 1
    assert [r["actor"] for r in audit.records(store)[0]] == [ADMIN.name]
    settings.set_retention_days(store, ADMIN, 30)
    assert audit.purge(store, now=utcnow() + timedelta(days=31)) == 2


def test_audit_filters_by_who_what_and_when(store: Store) -> None:
    users.add_user(store, ADMIN, "a@x.io", "viewer", PASSWORD)
    keys.create_key(store, ADMIN, "k1", "read")
    assert audit.records(store, action="key.")[1] == 1
    assert audit.records(store, actor="admin@")[1] == 2
    assert audit.records(store, actor="nobody")[1] == 0
    assert audit.records(store, since=utcnow() + timedelta(hours=1))[1] == 0
    assert audit.records(store, text="k1")[0][0]["action"] == "key.create"
