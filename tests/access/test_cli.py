"""`hub user|keys|audit|security`, `hub --as`, and the sign-in rule of `hub up`."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from engine.access import users
from engine.store import Store
from tests.actors import ADMIN
from tests.cli_helpers import run_hub

PASSWORD = "correct horse battery"


@pytest.fixture
def people(store: Store) -> Store:
    users.add_user(store, ADMIN, "boss@x.io", "admin", PASSWORD)
    users.add_user(store, ADMIN, "op@x.io", "operator", PASSWORD)
    users.add_user(store, ADMIN, "pm@x.io", "viewer", PASSWORD)
    return store


def test_user_add_reads_the_password_from_stdin(
    capsys, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    code, out, _ = run_hub(
        capsys, "user", "add", "ana@x.io", "--role", "operator", "--password-stdin"
    )
    assert code == 0 and "ana@x.io added with role operator" in out
    assert users.authenticate(store, "ana@x.io", PASSWORD).role.value == "operator"
    code, out, _ = run_hub(capsys, "user", "list", "--json")
    assert [u["email"] for u in json.loads(out)] == ["ana@x.io"]
    assert PASSWORD not in out


def test_keys_create_shows_the_key_once(capsys, store: Store) -> None:
    code, out, _ = run_hub(capsys, "keys", "create", "--name", "web", "--scope", "ingest", "--json")
    raw = json.loads(out)["key"]
    assert code == 0 and raw.startswith("hub_ingest_")
    _, listed, _ = run_hub(capsys, "keys", "list", "--json")
    assert raw not in listed and json.loads(listed)[0]["scope"] == "ingest"
    code, out, _ = run_hub(capsys, "keys", "revoke", "web")
    assert code == 0 and "revoked" in out


# command → weakest role that may run it
COMMANDS: dict[str, tuple[str, list[str]]] = {
    "incident open": ("operator", ["incident", "open", "db down", "--severity", "SEV2"]),
    "annotate": ("operator", ["annotate", "deploy v2"]),
    "probe add": ("operator", ["probe", "add", "api", "--url", "http://x.io"]),
    "alert add": (
        "operator",
        ["alert", "add", "r", "--metric", "error_rate", "--threshold", "0.5"],
    ),
    "target pause": ("operator", ["target", "pause", "nope"]),
    "target add": ("admin", ["target", "add", "t", "--github", "a/b:c.json", "--drive", "f"]),
    "launch decide": ("admin", ["launch", "decide", "no_go"]),
    "launch threshold": ("admin", ["launch", "threshold", "uptime_24h", "0.99"]),
    "user add": ("admin", ["user", "add", "z@x.io", "--role", "viewer", "--no-password"]),
    "keys create": ("admin", ["keys", "create", "--name", "k", "--scope", "read"]),
    "audit list": ("admin", ["audit", "list", "--json"]),
    "demo clear": ("admin", ["demo", "--clear"]),
}
RANK = {"viewer": 0, "operator": 1, "admin": 2}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_cli_enforces_the_role_of_the_user_it_acts_as(capsys, people: Store, command: str) -> None:
    need, args = COMMANDS[command]
    for email, role in (("pm@x.io", "viewer"), ("op@x.io", "operator"), ("boss@x.io", "admin")):
        code, _, err = run_hub(capsys, "--as", email, *args)
        if RANK[role] >= RANK[need]:
            assert code != 4, (command, role, err)
        else:
            assert code == 4, (command, role, err)
            assert f"needs the {need} role ({email} is {role})" in err


def test_as_an_unknown_user_is_an_error(capsys, people: Store) -> None:
    code, _, err = run_hub(capsys, "--as", "ghost@x.io", "annotate", "deploy")
    assert code == 1 and "no active hub user 'ghost@x.io'" in err


def test_audit_list_json_shows_who_did_what(capsys, people: Store) -> None:
    run_hub(capsys, "--as", "op@x.io", "incident", "open", "db down", "--severity", "SEV2")
    run_hub(capsys, "--as", "pm@x.io", "incident", "open", "nope", "--severity", "SEV2")
    code, out, _ = run_hub(capsys, "audit", "list", "--action", "incident.", "--json")
    data = json.loads(out)
    assert code == 0 and data["total"] == 2
    newest, oldest = data["records"]
    assert (newest["actor"], newest["outcome"]) == ("pm@x.io", "denied")
    assert (oldest["actor"], oldest["outcome"], oldest["channel"]) == ("op@x.io", "ok", "cli")
    assert oldest["after"]["severity"] == "SEV2"


def test_hub_up_refuses_to_listen_beyond_loopback_without_sign_in(
    capsys, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("engine.access.policy.PROJECT_ROOT", tmp_path)  # no secrets.toml
    monkeypatch.setattr("engine.access.policy.Path.home", lambda: tmp_path)
    code, _, err = run_hub(capsys, "up", "--host", "0.0.0.0", "--no-demo")
    assert code == 1
    assert "sign-in is not configured" in err and "hub user add" in err


def test_security_checklist_reports_failures_with_evidence(capsys, people: Store) -> None:
    _code, out, _ = run_hub(capsys, "security", "--json")
    checks = {c["name"]: c for c in json.loads(out)}
    assert checks["Sign-in required beyond loopback"]["status"] == "pass"
    assert checks["Webhook secrets set"]["status"] == "fail"
    assert "HUB_GITHUB_WEBHOOK_SECRET" in checks["Webhook secrets set"]["evidence"]
    idle = checks["No admin without a sign-in in 30 days"]
    assert idle["status"] == "fail" and "boss@x.io" in idle["evidence"]
    users.authenticate(people, "boss@x.io", PASSWORD)
    _, out, _ = run_hub(capsys, "security", "--json")
    checks = {c["name"]: c for c in json.loads(out)}
    assert checks["No admin without a sign-in in 30 days"]["status"] == "pass"
