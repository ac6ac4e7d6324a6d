"""`hub arch …` through engine.cli.main, as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.architecture import export
from engine.architecture.history import load_version, versions
from engine.store import Store
from tests.architecture.helpers import history_world
from tests.cli_helpers import run_hub


def test_export_json_and_csv_of_a_chosen_version(
    store: Store, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    history_world(store)
    first = versions(store, "arch")[0]
    out = tmp_path / "v1.json"
    code, stdout, stderr = run_hub(
        capsys,
        "arch",
        "export",
        "arch",
        "--format",
        "json",
        "--out",
        str(out),
        "--version",
        str(first.snapshot_id),
    )
    assert code == 0, stderr
    assert f"Wrote {out}" in stdout
    assert json.loads(out.read_text()) == load_version(store, "arch", first.snapshot_id)[1]
    csv_out = tmp_path / "deep" / "model.csv"
    code, _, stderr = run_hub(
        capsys, "arch", "export", "arch", "--format", "csv", "--out", str(csv_out)
    )
    assert code == 0, stderr
    assert csv_out.read_text().splitlines()[0].startswith("id,name,layer,status,version")


def test_bad_input_and_unknown_things_are_one_clear_line(
    store: Store, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    history_world(store)
    out = str(tmp_path / "x")
    code, _, err = run_hub(capsys, "arch", "export", "arch", "--format", "gif", "--out", out)
    assert code == 2 and "--format must be one of png, svg, pdf, json, csv" in err
    code, _, err = run_hub(
        capsys, "arch", "export", "arch", "--format", "png", "--out", out, "--view", "4d"
    )
    assert code == 2 and "--view" in err
    code, _, err = run_hub(capsys, "arch", "export", "nope", "--format", "json", "--out", out)
    assert code == 1 and "no sync target named 'nope'" in err and "Traceback" not in err
    code, _, err = run_hub(
        capsys, "arch", "export", "arch", "--format", "json", "--out", out, "--version", "999"
    )
    assert code == 1 and "no version 999" in err


def test_history_and_diff_as_json(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    history_world(store)
    code, stdout, _ = run_hub(capsys, "arch", "history", "arch", "--json")
    assert code == 0
    listed = json.loads(stdout)
    assert listed[0]["origin"] == "first_sync"
    assert listed[-1]["actor"] == "ana@acme.test"
    a, b = listed[1]["snapshot_id"], listed[2]["snapshot_id"]
    code, stdout, _ = run_hub(capsys, "arch", "diff", "arch", str(a), str(b), "--json")
    assert code == 0
    payload = json.loads(stdout)
    assert payload["from"]["snapshot_id"] == a and payload["to"]["snapshot_id"] == b
    assert [c["id"] for c in payload["diff"]["added"]] == ["billing"]
    code, stdout, _ = run_hub(capsys, "arch", "diff", "arch", str(a), str(b))
    assert code == 0 and "+1 ~0 −0" in stdout and "billing" in stdout
    code, stdout, _ = run_hub(capsys, "arch", "history", "arch")
    assert code == 0 and "first sync" in stdout


@pytest.mark.skipif(export.chromium_path() is None, reason="no Chromium here")
def test_export_png(
    sqlite_store: Store, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    history_world(sqlite_store)
    out = tmp_path / "arch.png"
    code, _, err = run_hub(
        capsys, "arch", "export", "arch", "--format", "png", "--out", str(out), "--theme", "dark"
    )
    assert code == 0, err
    assert out.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
