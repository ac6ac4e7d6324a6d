"""File ingestion: duplicates, rejection of bad files, gzip, identity linking, timezone."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.config import get_settings
from engine.errors import InputError
from engine.product.ingest import import_events_file
from engine.product.kpis import product_summary
from engine.product.models import ProductEvent, UserDay
from engine.product.rollups import TimezoneChanged, rebuild_all
from engine.store.models import ImportBatch
from tests.actors import ADMIN
from tests.product.helpers import identify, ingest, page, period, track


def _write(path: Path, calls: list[dict | str]) -> Path:
    lines = [c if isinstance(c, str) else json.dumps(c) for c in calls]
    data = ("\n".join(lines) + "\n").encode()
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(data))
    else:
        path.write_bytes(data)
    return path


def _count(store, model) -> int:  # type: ignore[no-untyped-def]
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_file_import_counts_new_and_duplicates(store, tmp_path):
    a = track("Signed Up", "2024-03-01T10:00:00Z", "u1", messageId="a")
    b = track("Signed In", "2024-03-01T11:00:00Z", "u1", messageId="b")
    f = _write(tmp_path / "e.jsonl", [a, b, a])
    report = import_events_file(store, ADMIN, f)
    assert (report.new, report.duplicates, report.skipped) == (2, 1, 0)
    again = import_events_file(store, ADMIN, f)
    assert (again.new, again.duplicates) == (0, 3)
    assert _count(store, ProductEvent) == 2
    with store.session() as s:
        assert s.scalar(select(UserDay.events)) == 2  # rollups counted each event once


def test_first_stored_wins(store):
    ingest(store, [track("Signed Up", "2024-03-01T10:00:00Z", "u1", messageId="same")])
    report = ingest(store, [track("Other", "2024-03-05T10:00:00Z", "u2", messageId="same")])
    assert (report.new, report.duplicates) == (0, 1)
    with store.session() as s:
        row = s.scalars(select(ProductEvent)).one()
    assert (row.event, row.user_id) == ("Signed Up", "u1")


def test_bad_lines_reject_the_whole_file(store, tmp_path):
    good = track("Signed Up", "2024-03-01T10:00:00Z", "u1")
    f = _write(
        tmp_path / "bad.jsonl",
        [
            good,
            "{not json",
            json.dumps({"type": "track", "userId": "u1", "timestamp": "2024-03-01"}),
            json.dumps({"type": "track", "event": "X", "timestamp": "2024-03-01"}),
            json.dumps({"type": "alias", "userId": "u"}),
            json.dumps(track("X", "yesterday", "u1")),
        ],
    )
    with pytest.raises(InputError) as exc:
        import_events_file(store, ADMIN, f)
    text = str(exc.value)
    assert "5 invalid lines" in text
    for line in ("line 2: not valid JSON", "line 3: track needs an event name", "line 4: userId"):
        assert line in text
    assert "line 5: type 'alias'" in text and "line 6: timestamp" in text
    assert _count(store, ProductEvent) == 0
    assert _count(store, ImportBatch) == 0  # the batch is rolled back too

    report = import_events_file(store, ADMIN, f, skip_invalid=True)
    assert (report.new, report.skipped) == (1, 5)


def test_shows_at_most_twenty_reasons(store, tmp_path):
    f = _write(tmp_path / "many.jsonl", ["{"] * 25)
    with pytest.raises(InputError) as exc:
        import_events_file(store, ADMIN, f)
    assert "25 invalid lines (first 20 shown)" in str(exc.value)
    assert "line 21" not in str(exc.value)


def test_gzip_and_missing_message_id(store, tmp_path):
    call = {"type": "track", "event": "Signed In", "userId": "u1", "timestamp": "2024-03-01"}
    f = _write(tmp_path / "e.jsonl.gz", [call, call])
    report = import_events_file(store, ADMIN, f)
    assert (report.new, report.duplicates) == (1, 1)  # same content → same derived id


def test_progress_is_reported(store, tmp_path):
    f = _write(tmp_path / "e.jsonl", [track("A", "2024-03-01T10:00:00Z", "u1")])
    seen: list[tuple[int, int]] = []
    import_events_file(store, ADMIN, f, progress=lambda d, t: seen.append((d, t)))
    assert seen and seen[-1][0] == seen[-1][1] == f.stat().st_size


def test_missing_file_is_input_error(store, tmp_path):
    with pytest.raises(InputError, match="no such file"):
        import_events_file(store, ADMIN, tmp_path / "nope.jsonl")


def test_identify_arriving_late_claims_earlier_and_later_events(store):
    ingest(
        store, [page("2024-03-01T10:00:00Z", anon="a1"), page("2024-03-02T10:00:00Z", anon="a1")]
    )
    p = period("2024-03-01", "2024-03-03")
    assert product_summary(store, p)["active_users"] == 0  # anonymous: not a user yet
    ingest(store, [identify("2024-03-05T00:00:00Z", "u1", "a1")])
    ingest(store, [page("2024-03-03T10:00:00Z", anon="a1")])  # after the link
    summary = product_summary(store, p)
    assert summary["active_users"] == 1
    assert summary["dau"] == pytest.approx(1.0)  # u1 active on each of the three days


def test_identify_in_same_chunk_and_conflicting_link(store):
    ingest(
        store,
        [
            page("2024-03-01T10:00:00Z", anon="a1"),
            identify("2024-03-01T10:05:00Z", "u1", "a1"),
            identify("2024-03-01T10:06:00Z", "u2", "a1"),  # first link wins
        ],
    )
    with store.session() as s:
        assert s.scalars(select(UserDay.person)).all() == ["u1"]


def test_timezone_change_needs_rebuild(store, monkeypatch):
    # 22:30 UTC on 1 March is 00:30 on 2 March in Kyiv (UTC+2 in March).
    ingest(store, [track("Signed In", "2024-03-01T22:30:00Z", "u1")])
    assert product_summary(store, period("2024-03-01", "2024-03-01"))["active_users"] == 1
    monkeypatch.setenv("HUB_TIMEZONE", "Europe/Kyiv")
    get_settings.cache_clear()
    with pytest.raises(TimezoneChanged, match="rebuild-rollups"):
        product_summary(store, period("2024-03-01", "2024-03-01"))
    with pytest.raises(TimezoneChanged):
        ingest(store, [track("Signed In", "2024-03-04T10:00:00Z", "u1")])
    settings = get_settings()
    with store.session() as s:
        assert rebuild_all(s, settings.tz, settings.timezone, None)["events"] == 1
    assert product_summary(store, period("2024-03-01", "2024-03-01"))["active_users"] == 0
    assert product_summary(store, period("2024-03-02", "2024-03-02"))["active_users"] == 1
