"""Burn rates and the multiwindow page/ticket rules; SLO configuration and error budget."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.errors import InputError
from engine.launch import slo
from engine.reliability.ingest import import_request_records
from engine.store import Store
from tests.actors import ADMIN
from tests.reliability.helpers import at, request


def burns(**values: float | None) -> dict[str, float | None]:
    base: dict[str, float | None] = dict.fromkeys(slo.WINDOWS, 0.0)
    return base | {k.removeprefix("w"): v for k, v in values.items()}


def test_burn_rate_is_error_rate_over_the_budget() -> None:
    assert slo.burn_rate(0.02, 0.001) == pytest.approx(20)
    assert slo.burn_rate(None, 0.001) is None


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"w1h": 15, "w5m": 15}, "page"),
        ({"w1h": 15, "w5m": 14.4}, None),  # strictly greater than 14.4
        ({"w1h": 14.4, "w5m": 100}, None),
        ({"w6h": 7, "w30m": 7}, "page"),
        ({"w6h": 7, "w30m": 5}, None),
        ({"w3d": 1.5, "w6h": 1.5}, "ticket"),
        ({"w3d": 1.0, "w6h": 3}, None),
        ({"w3d": 2, "w6h": 7, "w30m": 7}, "page"),
        ({"w1h": None, "w5m": 20}, None),
    ],
)
def test_multiwindow_rules(values: dict[str, float | None], expected: str | None) -> None:
    severity, held = slo.classify(burns(**values))
    assert severity == expected
    assert bool(held) == (expected is not None)


def test_burn_rates_cover_every_window() -> None:
    now = at("2026-01-10 12:00")
    seen = []

    def rate(a, b):  # type: ignore[no-untyped-def]
        seen.append(b - a)
        return 0.01

    out = slo.burn_rates(0.001, rate, now)
    assert set(out) == {"5m", "30m", "1h", "6h", "3d"}
    assert all(v == pytest.approx(10) for v in out.values())
    assert max(seen) == timedelta(days=3)


def test_burn_status_from_request_logs_pages(store: Store) -> None:
    now = at("2026-01-10 12:00")
    # Last 50 minutes: 2 % errors → burn 20 on 5m and 1h; nothing before → 3d burn small.
    rows = [
        request(now - timedelta(seconds=6 * i + 1), 500 if i % 50 == 0 else 200) for i in range(500)
    ]
    errors = sum(r.status >= 500 for r in rows)
    assert errors == 10  # 2 %
    import_request_records(store, ADMIN, rows)
    status = slo.burn_status(store, "availability", now=now)
    expected = errors / len(rows) / 0.001
    assert status["burn"]["1h"] == pytest.approx(expected)
    assert status["alert"] == "page"


def test_default_and_configured_slos(store: Store) -> None:
    names = {v.name: v for v in slo.list_slos(store)}
    assert names["availability"].objective == 0.999
    assert names["latency_p95"].objective == 500
    slo.set_slo(store, ADMIN, "availability", "availability", 0.9995, 7)
    assert slo.get_slo(store, "availability").objective == 0.9995
    with pytest.raises(InputError):
        slo.set_slo(store, ADMIN, "x", "availability", 1.5)
    with pytest.raises(InputError):
        slo.allowed_error_rate(slo.get_slo(store, "latency_p95"))


def test_error_budget_of_requests(store: Store) -> None:
    now = at("2026-01-10 12:00")
    import_request_records(
        store,
        ADMIN,
        [request(now - timedelta(hours=1, seconds=i), 500 if i < 2 else 200) for i in range(1000)],
    )
    budget = slo.error_budget(store, "error_rate", now=now)
    assert budget["budget"] == pytest.approx(1.0)  # 0.1 % of 1000 requests
    assert budget["consumed"] == 2
    assert budget["remaining"] == pytest.approx(-1.0)


def test_slo_report_has_budget_burn_and_rule_checks(store: Store) -> None:
    now = at("2026-01-10 12:00")
    import_request_records(
        store,
        ADMIN,
        [
            request(now - timedelta(seconds=10 * i + 5), 500 if i % 10 < 3 else 200)
            for i in range(360)
        ],
    )
    report = {r["name"]: r for r in slo.slo_report(store, now=now)}
    assert report["latency_p95"]["budget"] is None and report["latency_p95"]["burn"] is None
    errors = report["error_rate"]
    assert errors["budget"]["consumed"] == 108 and errors["budget"]["unit"] == "requests"
    assert errors["burn"]["alert"] == "page"
    checks = errors["burn"]["checks"]
    assert [(c["long_window"], c["short_window"], c["threshold"]) for c in checks] == [
        ("1h", "5m", 14.4),
        ("6h", "30m", 6.0),
        ("3d", "6h", 1.0),
    ]
    assert all(c["holds"] for c in checks)
    assert checks[0]["long_burn"] == pytest.approx(300)  # 30 % ÷ 0.1 %
    assert report["availability"]["budget"]["remaining"] is None  # no probes: no budget
    quiet = slo.rule_checks(dict.fromkeys(slo.WINDOWS))
    assert [c["holds"] for c in quiet] == [False, False, False]
