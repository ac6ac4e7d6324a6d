import json

import pytest

from engine.store import Store
from engine.sync import runner
from tests.cli_helpers import run_hub
from tests.sync.harness import PATH, component, document, make_world


@pytest.fixture
def world(store: Store, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    w = make_world(
        store,
        github_doc=document(component("auth")),
        drive_doc=document(component("auth"), component("core")),
    )
    monkeypatch.setattr(runner, "connectors_from_settings", w.factory)
    monkeypatch.setenv("HUB_SYNC_RETRY_INITIAL_SECONDS", "0")
    return w


def test_target_add_validates_input(capsys, store: Store) -> None:
    code, _, err = run_hub(capsys, "target", "add", "x", "--github", "nope", "--drive", "f")
    assert code == 2 and "OWNER/REPO:PATH" in err
    code, _, err = run_hub(
        capsys,
        "target",
        "add",
        "x",
        "--github",
        "a/b:c.json",
        "--drive",
        "f",
        "--schedule",
        "every day",
    )
    assert code == 2 and "cron" in err
    code, out, _ = run_hub(
        capsys,
        "target",
        "add",
        "x",
        "--github",
        "a/b:c.json@dev",
        "--drive",
        "f",
        "--policy",
        "github_wins",
    )
    assert code == 0 and "a/b:c.json@dev" in out
    code, _, err = run_hub(capsys, "target", "add", "x", "--github", "a/b:c.json", "--drive", "f")
    assert code == 1 and "already exists" in err
    code, out, _ = run_hub(capsys, "target", "list", "--json")
    (row,) = json.loads(out)
    assert row["target"] == "x" and row["policy"] == "github_wins"


def test_sync_run_wait_json_and_exit_codes(capsys, world) -> None:
    code, out, _ = run_hub(capsys, "sync", "run", "arch", "--wait", "--json")
    job = json.loads(out)
    assert code == 0 and job["status"] == "succeeded"
    assert set(job) >= {
        "id",
        "target",
        "status",
        "trigger",
        "created_at",
        "started_at",
        "finished_at",
        "attempts",
        "timings_ms",
        "counts",
    }
    assert set(job["timings_ms"]) == {"fetch", "merge", "write"}
    assert job["counts"]["conflicts"] == 0
    world.edit_github(document(component("auth", version="2.0.0"), component("core")))
    world.edit_drive(document(component("auth", version="3.0.0"), component("core")))
    code, out, _ = run_hub(capsys, "sync", "run", "arch", "--wait", "--json")
    assert code == 2 and json.loads(out)["status"] == "conflict"
    code, out, _ = run_hub(capsys, "conflicts", "list", "arch", "--json")
    (conflict,) = json.loads(out)
    assert conflict["path"] == "/components/auth/version" and conflict["component_id"] == "auth"
    assert conflict["field"] == "version"
    code, _, err = run_hub(capsys, "conflicts", "resolve", str(conflict["id"]))
    assert code == 2 and "exactly one" in err
    code, out, _ = run_hub(
        capsys, "conflicts", "resolve", str(conflict["id"]), "--value", '"4.0.0"'
    )
    assert code == 0 and "queued" in out
    code, out, _ = run_hub(capsys, "sync", "run", "arch", "--wait", "--json")
    assert code == 0, out
    assert world.github_doc()["components"][0]["version"] == "4.0.0"
    code, out, _ = run_hub(capsys, "conflicts", "list", "arch", "--all", "--json")
    assert json.loads(out)[0]["resolved_value"] == "4.0.0"


def test_failed_sync_exits_1_with_the_reason(capsys, world) -> None:
    world.github.set_file(PATH, "{not json")
    code, out, _ = run_hub(capsys, "sync", "run", "arch", "--wait", "--json")
    job = json.loads(out)
    assert code == 1 and job["status"] == "failed"
    assert job["attempts"][0]["origin"] == "validation"
    assert "line 1" in job["attempts"][0]["message"]


def test_pause_resume_status_history(capsys, world) -> None:
    assert run_hub(capsys, "target", "pause", "arch", "--reason", "migration")[0] == 0
    code, _, err = run_hub(capsys, "sync", "run", "arch")
    assert code == 1 and "paused (migration)" in err and "hub target resume arch" in err
    assert run_hub(capsys, "target", "resume", "arch")[0] == 0
    run_hub(capsys, "sync", "run", "arch", "--wait")
    code, out, _ = run_hub(capsys, "sync", "status", "arch", "--json")
    status = json.loads(out)
    assert status["last_status"] == "succeeded" and status["paused"] is False
    code, out, _ = run_hub(capsys, "sync", "history", "arch", "--json")
    assert [j["status"] for j in json.loads(out)] == ["succeeded"]
    code, _, err = run_hub(capsys, "sync", "history", "nope")
    assert code == 1 and "no sync target named 'nope'" in err
