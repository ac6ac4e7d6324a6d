"""`hub` commands through engine.cli.main: JSON contracts, errors, shared groups."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer

import engine.cli as hub_cli
from engine.product import cli as product_cli
from tests.product.helpers import ingest, track


@pytest.fixture(autouse=True)
def only_product_commands(monkeypatch):
    """Register the product commands alone, so other capabilities' work in progress (in the
    shared tree) cannot break these tests; `group()` is tested separately below."""
    monkeypatch.setattr(hub_cli, "app", _fresh_app())
    monkeypatch.setattr(hub_cli, "_load_command_modules", lambda: product_cli.register(hub_cli.app))


def _fresh_app() -> typer.Typer:
    app = typer.Typer(name="hub", no_args_is_help=True, pretty_exceptions_enable=False)
    for info in hub_cli.app.registered_commands:
        app.registered_commands.append(info)
    app.registered_callback = hub_cli.app.registered_callback
    return app


def run(args: list[str], capsys) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    code = 0
    try:
        hub_cli.main(args)
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_import_and_kpi_product_json(store, tmp_path: Path, capsys):
    f = tmp_path / "e.jsonl"
    f.write_text(
        "\n".join(
            json.dumps(c)
            for c in [
                track("Signed Up", "2024-03-01T10:00:00Z", "u1"),
                track("First Sync Completed", "2024-03-01T10:04:00Z", "u1"),
            ]
        )
    )
    code, out, err = run(["import", "events", str(f), "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["new"] == 2
    code, out, _ = run(["import", "events", str(f)], capsys)
    assert "0 new, 2 duplicates" in out
    code, out, _ = run(
        ["kpi", "product", "--from", "2024-03-01", "--to", "2024-03-01", "--json"], capsys
    )
    got = json.loads(out)
    assert got["signups"] == 1 and got["activation_rate"] == 1.0
    assert got["time_to_value_median_seconds"] == 240.0
    assert list(got) == sorted(
        ["from", "to", "timezone", "dau", "wau", "mau", "stickiness", "active_users", "signups",
         "activation_rate", "time_to_value_median_seconds", "feature_adoption"]
    )  # fmt: skip


def test_bad_file_is_one_error_and_exit_2(store, tmp_path: Path, capsys):
    f = tmp_path / "e.jsonl"
    f.write_text("{oops\n")
    code, _, err = run(["import", "events", str(f)], capsys)
    assert code == 2 and "line 1: not valid JSON" in err and "Traceback" not in err
    code, _, err = run(["kpi", "product", "--from", "2024-13-01"], capsys)
    assert code == 2 and "not a date" in err


def test_funnel_retention_surveys_json(store, tmp_path: Path, capsys):
    ingest(
        store,
        [
            track("Signed Up", "2024-03-04T10:00:00Z", "u1"),
            track("Target Created", "2024-03-04T10:01:00Z", "u1"),
            track("Signed In", "2024-03-12T10:00:00Z", "u1"),
        ],
    )
    args = ["funnel", "--steps", "Signed Up,Target Created", "--from", "2024-03-04"]
    code, out, _ = run([*args, "--to", "2024-03-10", "--window", "1h", "--json"], capsys)
    got = json.loads(out)
    assert code == 0 and got["window_seconds"] == 3600 and got["overall_conversion"] == 1.0
    assert got["steps"][1] == {
        "event": "Target Created", "users": 1, "conversion_from_previous": 1.0,
        "conversion_from_first": 1.0, "median_seconds_from_previous": 60.0,
    }  # fmt: skip
    code, out, _ = run(
        ["retention", "--start-event", "Signed Up", "--return-event", "any", "--period", "week",
         "--periods", "2", "--from", "2024-03-04", "--to", "2024-03-17", "--json"],
        capsys,
    )  # fmt: skip
    got = json.loads(out)
    assert got["period"] == "week" and got["mode"] == "on"
    assert got["cohorts"][0] == {
        "cohort": "2024-03-04", "size": 1, "retained": [1, 1], "rates": [1.0, 1.0],
        "complete": [True, True],
    }  # fmt: skip
    assert got["average"] == [1.0, 1.0]
    code, out, _ = run(["retention", "--from", "2024-03-04", "--to", "2024-03-17"], capsys)
    assert code == 0 and "2024-03-04" in out
    f = tmp_path / "s.csv"
    f.write_text("respondent_id,kind,score,responded_at,comment\nu1,nps,10,2024-03-05,\n")
    assert run(["import", "survey", str(f)], capsys)[0] == 0
    code, out, _ = run(
        ["kpi", "surveys", "--from", "2024-03-01", "--to", "2024-03-31", "--json"], capsys
    )
    assert json.loads(out)["nps"] == 100.0


def test_rebuild_rollups_command(store, capsys, monkeypatch):
    ingest(store, [track("Signed In", "2024-03-01T22:30:00Z", "u1")])
    monkeypatch.setenv("HUB_TIMEZONE", "Asia/Tokyo")
    from engine.config import get_settings

    get_settings.cache_clear()
    code, _, err = run(["kpi", "product", "--from", "2024-03-02", "--to", "2024-03-02"], capsys)
    assert code == 1 and "rebuild-rollups" in err
    code, out, _ = run(["product", "rebuild-rollups"], capsys)
    assert code == 0 and "Asia/Tokyo" in out
    code, out, _ = run(
        ["kpi", "product", "--from", "2024-03-02", "--to", "2024-03-02", "--json"], capsys
    )
    assert json.loads(out)["active_users"] == 1


def test_group_is_shared_between_capabilities():
    app = typer.Typer()
    existing = product_cli.group(app, "import", "x")
    existing.command("other")(lambda: None)
    product_cli.register(app)
    names = [g.name for g in app.registered_groups]
    assert names.count("import") == 1 and names.count("kpi") == 1
    commands = [c.name for c in existing.registered_commands]
    assert {"other", "events", "survey"} <= set(commands)
