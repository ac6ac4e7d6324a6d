"""Hand-computed product KPIs: active users, timezone days, signups, activation, adoption."""

from __future__ import annotations

import pytest

from engine.config import get_settings
from engine.product.kpis import active_lines, lifecycle, product_summary, signups_daily
from tests.product.helpers import ingest, page, period, track


@pytest.fixture
def kyiv(monkeypatch):
    monkeypatch.setenv("HUB_TIMEZONE", "Europe/Kyiv")
    get_settings.cache_clear()


def test_empty_store_gives_nulls_not_zeros(store):
    s = product_summary(store, period("2024-03-01", "2024-03-07"))
    assert s["active_users"] == 0 and s["signups"] == 0
    assert s["stickiness"] is None and s["activation_rate"] is None
    assert s["time_to_value_median_seconds"] is None
    assert s["feature_adoption"] == {}
    assert set(s) == {
        "from", "to", "timezone", "dau", "wau", "mau", "stickiness", "active_users",
        "signups", "activation_rate", "time_to_value_median_seconds", "feature_adoption",
    }  # fmt: skip


def test_local_day_boundaries_and_midnight(store, kyiv):
    ingest(
        store,
        [
            # u1: 23:50 and 00:10 Kyiv time → active on two local days
            track("Signed In", "2024-03-01T21:50:00Z", "u1"),
            track("Dashboard Viewed", "2024-03-01T22:10:00Z", "u1"),
            # u2: 23:30 UTC on 2 March = 01:30 on 3 March in Kyiv
            page("2024-03-02T23:30:00Z", "u2"),
            # identify is not activity
            {"type": "identify", "userId": "u3", "timestamp": "2024-03-02T10:00:00Z"},
        ],
    )
    s = product_summary(store, period("2024-03-01", "2024-03-03"))
    assert s["timezone"] == "Europe/Kyiv"
    assert s["active_users"] == 2
    assert s["dau"] == pytest.approx((1 + 1 + 1) / 3)  # u1 on 1st and 2nd, u2 on the 3rd
    one_day = product_summary(store, period("2024-03-02", "2024-03-02"))
    assert one_day["active_users"] == 1 and one_day["dau"] == 1


def test_wau_mau_stickiness(store):
    calls = [track("Signed In", f"2024-03-{d:02d}T12:00:00Z", "u1") for d in range(1, 31)]
    calls += [track("Signed In", "2024-03-30T12:00:00Z", "u2")]
    calls += [track("Signed In", "2024-03-20T12:00:00Z", "u3")]  # outside the last 7 days
    calls += [track("Signed In", "2024-02-29T12:00:00Z", "u4")]  # 31 days before the 30th
    ingest(store, calls)
    s = product_summary(store, period("2024-03-30", "2024-03-30"))
    assert (s["wau"], s["mau"], s["active_users"], s["dau"]) == (2, 3, 2, 2)
    assert s["stickiness"] == pytest.approx((30 + 1 + 1) / 30 / 3)


def test_signups_activation_and_time_to_value(store):
    ingest(
        store,
        [
            track("Signed Up", "2024-03-01T10:00:00Z", "a"),
            track("First Sync Completed", "2024-03-01T10:01:00Z", "a"),  # 60 s
            track("Signed Up", "2024-03-02T10:00:00Z", "b"),
            track("First Sync Completed", "2024-03-16T10:00:00Z", "b"),  # exactly 14 d: counts
            track("Signed Up", "2024-03-03T10:00:00Z", "c"),
            track("First Sync Completed", "2024-03-03T09:00:00Z", "c"),  # before signup
            track("First Sync Completed", "2024-03-17T10:00:00.000001Z", "c"),  # 14 d + 1 µs
            track("Signed Up", "2024-03-04T10:00:00Z", "d"),
            track("First Sync Completed", "2024-03-04T10:03:00Z", "d"),  # 180 s
            track("Signed Up", "2024-03-05T10:00:00Z", "e"),
            track("First Sync Completed", "2024-03-05T10:05:00Z", "e"),  # 300 s
            track("Signed Up", "2024-02-20T10:00:00Z", "f"),  # before the period
            track("Signed Up", "2024-03-06T10:00:00Z", "f"),  # not f's first signup
        ],
    )
    s = product_summary(store, period("2024-03-01", "2024-03-07"))
    assert s["signups"] == 5
    assert s["activation_rate"] == pytest.approx(4 / 5)
    # waits 60, 180, 300, 1 209 600 → even count: mean of the middle two
    assert s["time_to_value_median_seconds"] == pytest.approx((180 + 300) / 2)
    daily = signups_daily(store, period("2024-03-01", "2024-03-02"))
    assert [(r["signups"], r["activated"]) for r in daily] == [(1, 1), (1, 1)]


def test_configured_signup_and_activation_events(store, monkeypatch):
    monkeypatch.setenv("HUB_SIGNUP_EVENT", "Registered")
    monkeypatch.setenv("HUB_ACTIVATION_EVENT", "Target Created")
    ingest(
        store,
        [
            track("Registered", "2024-03-01T10:00:00Z", "a"),
            track("Target Created", "2024-03-01T10:00:00Z", "a"),  # same instant: at or after
            track("Signed Up", "2024-03-01T10:00:00Z", "b"),
        ],
    )
    s = product_summary(store, period("2024-03-01", "2024-03-01"))
    assert (s["signups"], s["activation_rate"], s["time_to_value_median_seconds"]) == (1, 1.0, 0)


def test_feature_adoption(store, monkeypatch):
    ingest(
        store,
        [
            track("Signed Up", "2024-03-01T10:00:00Z", "a"),
            track("Signed In", "2024-03-01T10:00:00Z", "b"),
            track("Sync Triggered", "2024-03-01T11:00:00Z", "a"),
            track("Sync Triggered", "2024-03-02T11:00:00Z", "a"),
            track("Report Exported", "2024-02-01T11:00:00Z", "b"),  # not in the period
            page("2024-03-02T10:00:00Z", "c"),
        ],
    )
    p = period("2024-03-01", "2024-03-02")
    adoption = product_summary(store, p)["feature_adoption"]
    assert adoption == {"Report Exported": 0.0, "Sync Triggered": pytest.approx(1 / 3)}
    monkeypatch.setenv("HUB_FEATURE_EVENTS", "Signed In, Never Seen")
    adoption = product_summary(store, p)["feature_adoption"]
    assert adoption == {"Signed In": pytest.approx(1 / 3), "Never Seen": 0.0}


def test_lifecycle_weeks(store):
    # Weeks (Monday first): W1 = 4 Mar, W2 = 11 Mar, W3 = 18 Mar 2024.
    ingest(
        store,
        [
            track("Signed In", "2024-02-20T10:00:00Z", "old"),  # active long before
            track("Signed In", "2024-03-04T10:00:00Z", "a"),  # new in W1
            track("Signed In", "2024-03-11T10:00:00Z", "a"),  # returning in W2
            track("Signed In", "2024-03-05T10:00:00Z", "b"),  # new in W1, dormant in W2
            track("Signed In", "2024-03-18T10:00:00Z", "b"),  # resurrecting in W3
            track("Signed In", "2024-03-12T10:00:00Z", "old"),  # resurrecting in W2
        ],
    )
    rows = lifecycle(store, period("2024-03-04", "2024-03-20"))
    got = [
        (str(r["week"]), r["new"], r["returning"], r["resurrecting"], r["dormant"]) for r in rows
    ]
    assert got == [
        ("2024-03-04", 2, 0, 0, 0),
        ("2024-03-11", 0, 1, 1, -1),
        ("2024-03-18", 0, 0, 1, -2),
    ]
    assert [r["complete"] for r in rows] == [True, True, False]


def test_active_lines(store):
    ingest(
        store,
        [
            track("Signed In", "2024-03-01T10:00:00Z", "a"),
            track("Signed In", "2024-03-05T10:00:00Z", "b"),
        ],
    )
    lines = active_lines(store, period("2024-03-04", "2024-03-08"))
    assert [(r["dau"], r["wau"], r["mau"]) for r in lines] == [
        (0, 1, 1), (1, 2, 2), (0, 2, 2), (0, 2, 2), (0, 1, 2),
    ]  # fmt: skip
