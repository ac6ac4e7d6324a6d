"""Importers: atomic files with line and column in errors, gzip, duplicates, demo-free."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.errors import InputError
from engine.reliability.ingest import import_probes_file, import_requests_file
from engine.reliability.models import (
    ProbeResult,
    ProbeSegment,
    RequestLatencyBin,
    RequestLog,
    RequestRollup,
)
from engine.store import Store
from engine.store.models import ImportBatch
from tests.actors import ADMIN

HEADER = "target,checked_at,ok,status_code,latency_ms,error\n"


def _count(store: Store, model: type) -> int:
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def _requests(n: int, **override: object) -> list[dict[str, object]]:
    return [
        {
            "ts": f"2026-01-10T10:{i % 60:02d}:00Z",
            "service": "api",
            "route": "/v1/items",
            "method": "get",
            "status": 500 if i % 10 == 0 else 200,
            "duration_ms": 10 + i,
        }
        | override
        for i in range(n)
    ]


def test_probe_csv_imports_with_defaults_and_duplicates(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "probes.csv"
    path.write_text(
        HEADER
        + "api,2026-01-10T00:00:00,true,200,41.5,\n"
        + "api,2026-01-10T00:01:00+00:00,1,200,40,\n"
        + "api,2026-01-10T02:01:00+02:00,FALSE,,,timeout after 10s\n"  # = 00:01 UTC: dup
        + "api,2026-01-10T00:02:00Z,0,503,12,status 503\n"
    )
    report = import_probes_file(store, ADMIN, path)
    assert (report.new, report.duplicates) == (3, 1)
    with store.session() as s:
        rows = s.execute(
            select(
                ProbeResult.checked_at,
                ProbeResult.ok,
                ProbeResult.status_code,
                ProbeResult.latency_ms,
            ).order_by(ProbeResult.checked_at)
        ).all()
        assert [r[1] for r in rows] == [True, True, False]
        assert rows[2][2:] == (503, 12.0)
        assert rows[0][0].isoformat() == "2026-01-10T00:00:00+00:00"  # no offset → UTC
    assert _count(store, ProbeSegment) == 2
    again = import_probes_file(store, ADMIN, path)
    assert (again.new, again.duplicates) == (0, 4)


@pytest.mark.parametrize(
    ("line", "column"),
    [
        ("api,2026-13-10T00:00:00,true,200,41,", "checked_at"),
        ("api,2026-01-10T00:00:00,maybe,200,41,", "ok"),
        ("api,2026-01-10T00:00:00,true,abc,41,", "status_code"),
        ("api,2026-01-10T00:00:00,true,200,-4,", "latency_ms"),
        (",2026-01-10T00:00:00,true,200,4,", "target"),
    ],
)
def test_a_bad_probe_row_rejects_the_whole_file(
    store: Store, tmp_path: Path, line: str, column: str
) -> None:
    path = tmp_path / "bad.csv"
    good = "".join(f"api,2026-01-09T00:{m:02d}:00,true,200,40,\n" for m in range(30))
    path.write_text(HEADER + good + line + "\n")
    with pytest.raises(InputError) as info:
        import_probes_file(store, ADMIN, path)
    assert f"bad.csv line 32, column '{column}'" in str(info.value)
    assert _count(store, ProbeResult) == 0
    assert _count(store, ImportBatch) == 0
    assert _count(store, ProbeSegment) == 0


def test_probe_csv_header_must_be_exact(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("target,checked_at,ok,status,latency_ms,error\n")
    with pytest.raises(InputError, match="missing status_code; unexpected status"):
        import_probes_file(store, ADMIN, path)


def test_gzipped_json_lines_import_with_rollups(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "requests.jsonl.gz"
    with gzip.open(path, "wt") as fh:
        for item in _requests(120):
            fh.write(json.dumps(item) + "\n")
        fh.write("\n")  # blank lines are fine
    seen: list[tuple[int, int]] = []
    report = import_requests_file(
        store, ADMIN, path, lambda done, total: seen.append((done, total))
    )
    assert report.new == 120
    assert seen and seen[-1][0] == seen[-1][1]
    assert _count(store, RequestLog) == 120
    with store.session() as s:
        hour = s.execute(
            select(RequestRollup.requests, RequestRollup.errors).where(RequestRollup.grain == "h")
        ).one()
        assert tuple(hour) == (120, 12)
        binned = s.scalar(
            select(func.sum(RequestLatencyBin.count)).where(RequestLatencyBin.grain == "d")
        )
        assert binned == 120


@pytest.mark.parametrize(
    ("item", "where"),
    [
        ("{not json", "line 3, column 2: not valid JSON"),
        (json.dumps(_requests(1, status="teapot")[0]), "line 3, column 'status'"),
        (json.dumps(_requests(1, duration_ms=-1)[0]), "line 3, column 'duration_ms'"),
        (json.dumps({"ts": "2026-01-10T00:00:00Z"}), "line 3, column 'service': missing"),
        (json.dumps(_requests(1, ts="yesterday")[0]), "line 3, column 'ts'"),
    ],
)
def test_a_bad_request_line_rejects_the_whole_file(
    store: Store, tmp_path: Path, item: str, where: str
) -> None:
    path = tmp_path / "requests.jsonl"
    lines = [json.dumps(x) for x in _requests(2)] + [item]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as info:
        import_requests_file(store, ADMIN, path)
    assert f"requests.jsonl {where}" in str(info.value)
    assert _count(store, RequestLog) == 0
    assert _count(store, RequestRollup) == 0
    assert _count(store, ImportBatch) == 0


def test_missing_file_is_a_clear_error(store: Store, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        import_requests_file(store, ADMIN, tmp_path / "nope.jsonl")
