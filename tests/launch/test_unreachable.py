"""The rollback rule "database connectivity lost" really fires: with the store
unreachable, `hub launch status --json`, the Launch page and the Overview banner say
ROLLBACK with that reason instead of crashing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from engine.config import get_settings
from engine.errors import HubError
from engine.launch import control
from engine.store import Store, reset_store
from tests.cli_helpers import run_hub
from tests.pages.harness import assert_clean, open_page

CLOSED_PORT = "postgresql+psycopg://hub@127.0.0.1:1/hub?connect_timeout=2"


@pytest.fixture(params=["postgresql-refused", "sqlite-no-folder"])
def unreachable(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    """HUB_DATABASE_URL of a store that cannot be reached (no server / no folder for it)."""
    if request.param == "postgresql-refused":
        url = CLOSED_PORT
    else:
        blocker = tmp_path / "not-a-folder"
        blocker.write_text("a file where the store's folder should be")
        url = f"sqlite:///{blocker / 'hub.db'}"
    monkeypatch.setenv("HUB_DATABASE_URL", url)
    get_settings.cache_clear()
    reset_store(None)
    return url


def _reason(status: dict) -> str:
    return next(r for r in status["reasons"] if r.startswith("Database connectivity lost"))


def test_status_says_rollback_when_the_store_is_unreachable(unreachable: str) -> None:
    store = Store(unreachable)
    status = control.launch_status(store, details=True)
    assert status["decision_suggested"] == "rollback"
    assert "not reachable" in _reason(status)
    assert status["store_reachable"] is False and status["launch_at"] is None
    assert status["checklist"] == {"done": None, "total": None, "by_phase": {}}
    met = {r["name"]: r["met"] for r in status["rollback_criteria"]}
    assert met["Database connectivity lost"] is True
    assert sum(met.values()) == 1  # nothing else is claimed without data
    assert all(r["passed"] is None for r in status["success_criteria"])
    store.dispose()


def test_connection_lost_during_the_evaluation(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    pings: list[int] = []

    def ping() -> None:
        pings.append(1)
        if len(pings) > 2:  # fine at first, gone by the time the checklist is read
            raise HubError("database x is not reachable (OperationalError)")

    def checklist(*_a: object, **_k: object) -> list:
        raise OperationalError("SELECT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(store, "ping", ping)
    monkeypatch.setattr(control, "checklist", checklist)
    status = control.launch_status(store, details=True)
    assert status["decision_suggested"] == "rollback" and status["store_reachable"] is False
    assert "not reachable" in _reason(status)


def test_a_query_error_with_the_store_up_is_not_hidden(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def checklist(*_a: object, **_k: object) -> list:
        raise OperationalError("SELECT", {}, Exception("no such table"))

    monkeypatch.setattr(control, "checklist", checklist)
    with pytest.raises(OperationalError):
        control.launch_status(store)


def test_cli_status_json_says_rollback(
    unreachable: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_hub(capsys, "launch", "status", "--json")
    assert code == 0, err
    status = json.loads(out)
    assert status["decision_suggested"] == "rollback"
    assert status["checklist"]["total"] is None
    code, out, _ = run_hub(capsys, "launch", "status")
    assert code == 0 and "ROLLBACK" in out and "Checklist: unavailable" in out


def _texts(at) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(str(e.value) for e in at.error)


def test_launch_page_and_overview_banner_say_rollback(unreachable: str) -> None:
    at = open_page("launch.py")
    assert_clean(at)
    errors = _texts(at)
    assert "**Rollback recommended**: Database connectivity lost" in errors
    assert "The store cannot be reached" in errors
    at = open_page("overview.py")
    assert_clean(at)
    errors = _texts(at)
    assert "**Rollback recommended**: Database connectivity lost" in errors
    assert "The store is not ready" in errors  # the tiles need the store
