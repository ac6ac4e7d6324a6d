"""`hub probe|maintenance|import|kpi` through `engine.cli.main`, as an operator runs them."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.cli import main
from engine.reliability.kpis import SUMMARY_KEYS
from engine.reliability.models import MaintenanceWindow, Probe, ProbeResult
from engine.store import Store


def hub(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_probe_add_list_remove(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = hub(
        capsys,
        "probe",
        "add",
        "api",
        "--url",
        "https://api.example/healthz",
        "--interval",
        "30s",
        "--timeout",
        "5s",
        "--expect",
        "200-204",
        "--contains",
        "ok",
        "--critical",
    )
    assert code == 0 and "Probe 'api' added" in out
    code, _, err = hub(capsys, "probe", "add", "api", "--url", "https://x.example/")
    assert code == 2 and "already exists" in err
    code, _, err = hub(capsys, "probe", "add", "web", "--url", "ftp://x")
    assert code == 2 and "--url" in err
    code, _, err = hub(capsys, "probe", "add", "web", "--url", "https://x/", "--interval", "soon")
    assert code == 2 and "not a duration" in err
    code, out, _ = hub(capsys, "probe", "list", "--json")
    [listed] = json.loads(out)
    assert listed["name"] == "api" and listed["interval_seconds"] == 30
    assert listed["expect"] == "200-204" and listed["critical"] is True
    code, out, _ = hub(capsys, "probe", "list")
    assert code == 0 and "api" in out
    code, _, _ = hub(capsys, "probe", "remove", "api")
    assert code == 0
    code, _, err = hub(capsys, "probe", "remove", "api")
    assert code == 2 and "no probe named 'api'" in err
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(Probe)) == 0


def test_maintenance_add(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    hub(capsys, "probe", "add", "api", "--url", "https://api.example/")
    window = ("--from", "2026-01-10T02:00", "--to", "2026-01-10T03:30")
    assert hub(capsys, "maintenance", "add", "--all", *window)[0] == 0
    assert hub(capsys, "maintenance", "add", "--target", "api", *window)[0] == 0
    code, _, err = hub(capsys, "maintenance", "add", "--target", "nope", *window)
    assert code == 2 and "no probe named" in err
    code, _, err = hub(capsys, "maintenance", "add", *window)
    assert code == 2 and "exactly one of" in err
    code, _, err = hub(
        capsys,
        "maintenance",
        "add",
        "--all",
        "--from",
        "2026-01-10T04:00",
        "--to",
        "2026-01-10T03:00",
    )
    assert code == 2 and "after" in err
    with store.session() as s:
        targets = sorted(str(w.target) for w in s.scalars(select(MaintenanceWindow)))
    assert targets == ["None", "api"]
    code, out, _ = hub(capsys, "maintenance", "list", "--json")
    listed = json.loads(out)
    assert code == 0 and len(listed) == 2
    assert listed[0]["from"] == "2026-01-10T02:00:00+00:00"  # HUB_TIMEZONE defaults to UTC


def test_imports_and_kpi_json(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    probes = tmp_path / "probes.csv"
    lines = ["target,checked_at,ok,status_code,latency_ms,error"]
    lines += [
        f"api,2026-01-10T{h:02d}:00:00,{'false' if h == 3 else 'true'},200,40," for h in range(24)
    ]
    probes.write_text("\n".join(lines) + "\n")
    code, out, _ = hub(capsys, "import", "probes", str(probes))
    assert code == 0 and "24 checks imported" in out
    requests = tmp_path / "requests.jsonl.gz"
    with gzip.open(requests, "wt") as fh:
        for i in range(100):
            item = {
                "ts": f"2026-01-10T12:00:{i % 60:02d}Z",
                "service": "api",
                "route": "/x",
                "method": "GET",
                "status": 502 if i < 2 else 200,
                "duration_ms": i + 1,
            }
            fh.write(json.dumps(item) + "\n")
    code, out, _ = hub(capsys, "import", "requests", str(requests), "--json")
    assert code == 0 and json.loads(out)["new"] == 100
    code, out, _ = hub(
        capsys, "kpi", "reliability", "--from", "2026-01-10", "--to", "2026-01-10", "--json"
    )
    assert code == 0
    summary = json.loads(out)
    assert set(summary) == set(SUMMARY_KEYS)
    assert summary["uptime"] == pytest.approx(23 / 24)
    assert summary["requests"] == 100 and summary["error_rate"] == pytest.approx(0.02)
    assert summary["latency_p50_ms"] == pytest.approx(50, rel=0.01)
    code, out, _ = hub(capsys, "kpi", "reliability", "--from", "2026-01-10", "--to", "2026-01-10")
    assert code == 0 and "uptime" in out


def test_a_bad_file_is_one_line_and_exit_2(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    probes = tmp_path / "probes.csv"
    probes.write_text(
        "target,checked_at,ok,status_code,latency_ms,error\n"
        "api,2026-01-10T00:00:00,true,200,40,\n"
        "api,2026-01-10T00:01:00,yes,200,40,\n"
    )
    code, _, err = hub(capsys, "import", "probes", str(probes))
    assert code == 2
    assert "probes.csv line 3, column 'ok'" in err and "Traceback" not in err
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(ProbeResult)) == 0
    code, _, err = hub(capsys, "kpi", "reliability", "--from", "2026-01-10", "--to", "2026-01-01")
    assert code == 2 and "before it starts" in err
