"""`hub alert|incident|annotate|launch|slo` through the real entry point."""

from __future__ import annotations

import functools
import json

import pytest

from engine.access import users
from engine.launch import alerts
from engine.store import Store
from tests.actors import ADMIN
from tests.cli_helpers import run_hub
from tests.launch.fakes import FakeHooks

SLACK = "https://hooks.slack.test/services/T/B/X"


def test_alert_add_list_test_remove(
    store: Store, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    hooks = FakeHooks()
    monkeypatch.setattr(
        alerts,
        "Notifier",
        functools.partial(alerts.Notifier, transport=hooks.transport, sleep=lambda s: None),
    )
    code, out, err = run_hub(capsys, "alert", "test")
    assert code != 0 and "HUB_SLACK_WEBHOOK_URL" in err
    monkeypatch.setenv("HUB_SLACK_WEBHOOK_URL", SLACK)
    from engine.config import get_settings

    get_settings.cache_clear()
    code, out, _ = run_hub(
        capsys,
        "alert",
        "add",
        "errors",
        "--metric",
        "error_rate",
        "--threshold",
        "0.01",
        "--window",
        "5m",
        "--severity",
        "page",
    )
    assert code == 0, out
    assert (
        run_hub(capsys, "alert", "add", "burn", "--burn", "availability", "--severity", "page")[0]
        == 0
    )
    code, out, _ = run_hub(capsys, "alert", "list", "--json")
    assert [r["name"] for r in json.loads(out)] == ["burn", "errors"]
    code, out, _ = run_hub(capsys, "alert", "test")
    assert code == 0 and "slack: delivered" in out
    assert len(hooks.to(SLACK)) == 1
    code, out, _ = run_hub(
        capsys, "alert", "edit", "errors", "--threshold", "0.2", "--window", "1h", "--disable"
    )
    assert code == 0 and "enabled: False" in out
    rule = next(r for r in alerts.list_rules(store) if r["name"] == "errors")
    assert (rule["threshold"], rule["window_seconds"], rule["enabled"]) == (0.2, 3600, False)
    assert run_hub(capsys, "alert", "remove", "errors")[0] == 0
    code, _, err = run_hub(capsys, "alert", "remove", "errors")
    assert code != 0 and "no alert rule" in err
    code, out, _ = run_hub(capsys, "alert", "history", "--json")
    assert json.loads(out)[0]["event"] == "test"


def test_incident_and_annotate(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_hub(
        capsys, "incident", "open", "API down", "--severity", "SEV1", "--start", "2026-01-09T10:05"
    )
    assert code == 0 and "#1 SEV1" in out
    assert run_hub(capsys, "incident", "note", "1", "Restarted pods")[0] == 0
    assert run_hub(capsys, "incident", "resolve", "1")[0] == 0
    code, out, _ = run_hub(capsys, "incident", "list", "--json")
    rows = json.loads(out)
    assert rows[0]["status"] == "resolved" and len(rows[0]["notes"]) == 3
    code, _, err = run_hub(capsys, "incident", "open", "x", "--severity", "SEV9")
    assert code != 0 and "SEV1" in err
    code, out, _ = run_hub(capsys, "annotate", "deploy v1.2", "--json")
    assert code == 0 and json.loads(out)["kind"] == "deploy"


def test_launch_status_json_and_decide(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_hub(capsys, "launch", "status", "--json")
    assert code == 0
    status = json.loads(out)
    assert set(status) == {
        "decision_suggested",
        "success_criteria",
        "rollback_criteria",
        "checklist",
    }
    assert status["decision_suggested"] in ("go", "no_go", "rollback")
    code, out, _ = run_hub(capsys, "launch", "checklist", "--json")
    key = json.loads(out)[0]["key"]
    assert run_hub(capsys, "launch", "item", key, "--status", "done", "--owner", "ro")[0] == 0
    code, out, _ = run_hub(capsys, "launch", "status", "--json")
    assert json.loads(out)["checklist"]["done"] == 1
    code, _, err = run_hub(capsys, "launch", "decide", "no_go", "--by", "ro@x.io", "--json")
    assert code == 1 and "no active hub user 'ro@x.io'" in err
    users.add_user(store, ADMIN, "ro@x.io", "admin")
    code, out, _ = run_hub(capsys, "launch", "decide", "no_go", "--by", "ro@x.io", "--json")
    assert code == 0 and json.loads(out)["snapshot"]["checklist"]["done"] == 1
    assert json.loads(out)["decided_by"] == "ro@x.io"
    assert run_hub(capsys, "launch", "threshold", "uptime_24h", "0.995")[0] == 0
    code, out, _ = run_hub(capsys, "launch", "status")
    assert code == 0 and "Suggested decision" in out
    code, out, _ = run_hub(capsys, "launch", "report")
    assert code == 0 and "# Launch report" in out


def test_slo_commands(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_hub(capsys, "slo", "list", "--json")
    assert {s["name"] for s in json.loads(out)} == {"availability", "error_rate", "latency_p95"}
    code, out, _ = run_hub(capsys, "slo", "burn", "--json")
    assert code == 0 and json.loads(out)["alert"] is None
