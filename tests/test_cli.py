import json

from sqlalchemy import select

from engine import demo
from engine.store import Store
from engine.store.models import ImportBatch
from tests.cli_helpers import run_hub


def test_init_creates_then_reports_current(capsys, hub_env) -> None:
    code, out, _ = run_hub(capsys, "init")
    assert code == 0 and "Schema upgraded" in out
    code, out, _ = run_hub(capsys, "init")
    assert code == 0 and "already current" in out
    assert (hub_env / "hub.db").exists()


def test_commands_refuse_a_stale_schema_with_the_fix(capsys) -> None:
    code, _, err = run_hub(capsys, "demo", "--clear")
    assert code == 3
    assert "run `hub init`" in err and "Traceback" not in err


def test_config_json_masks_secrets(capsys, monkeypatch) -> None:
    monkeypatch.setenv("HUB_STRIPE_API_KEY", "sk_live_dont_print_me")
    from engine.config import get_settings

    get_settings.cache_clear()
    code, out, _ = run_hub(capsys, "config", "--json")
    assert code == 0
    values = json.loads(out)
    assert values["stripe_api_key"] == "********"
    assert "sk_live" not in out


def test_doctor_fails_on_unreachable_database(capsys, monkeypatch) -> None:
    monkeypatch.setenv("HUB_DATABASE_URL", "postgresql+psycopg://x@127.0.0.1:1/x?connect_timeout=1")
    from engine.config import get_settings

    get_settings.cache_clear()
    code, out, _ = run_hub(capsys, "doctor")
    assert code == 1 and "not reachable" in out


def test_doctor_ok_on_a_current_store(capsys, store: Store) -> None:
    code, out, _ = run_hub(capsys, "doctor")
    assert code == 0
    assert "schema current" in out and "not configured" in out


def test_unknown_scale_is_one_line(capsys, store: Store) -> None:
    code, _, err = run_hub(capsys, "demo", "--scale", "XL")
    assert code == 1 and "--scale must be S, M or L" in err


def test_demo_clear_removes_only_demo_batches(capsys, store: Store) -> None:
    from engine.ingest import open_batch

    with store.session() as s:
        open_batch(s, "events", "file", "real.jsonl")
        open_batch(s, "events", "demo", "demo", is_demo=True)
    assert demo.is_loaded(store)
    code, out, _ = run_hub(capsys, "demo", "--clear")
    assert code == 0 and "Demo data removed" in out
    with store.session() as s:
        labels = s.scalars(select(ImportBatch.label)).all()
    assert labels == ["real.jsonl"]
    assert not demo.is_loaded(store)


def test_usage_errors_exit_2(capsys) -> None:
    code, _, err = run_hub(capsys, "no-such-command")
    assert code == 2 and "No such command" in err
