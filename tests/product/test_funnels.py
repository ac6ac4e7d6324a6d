"""Funnels, hand-computed: ties, order, window edges, anchors, strict mode."""

from __future__ import annotations

import pytest

from engine.errors import InputError
from engine.product.funnels import dropped_off, funnel, parse_window, weekly_conversion
from engine.product.segment import PAGE_EVENT
from tests.product.helpers import ingest, page, period, track

STEPS = ["Signed Up", "Target Created", "First Sync Completed"]


def _users(result):  # type: ignore[no-untyped-def]
    return [s.users for s in result.steps]


def test_basic_funnel_and_medians(store):
    ingest(
        store,
        [
            track("Signed Up", "2024-03-01T10:00:00Z", "a"),
            track("Dashboard Viewed", "2024-03-01T10:00:30Z", "a"),  # others allowed between
            track("Target Created", "2024-03-01T10:01:00Z", "a"),
            track("First Sync Completed", "2024-03-01T10:03:00Z", "a"),
            track("Signed Up", "2024-03-02T10:00:00Z", "b"),
            track("Target Created", "2024-03-02T10:03:00Z", "b"),
            track("Signed Up", "2024-03-03T10:00:00Z", "c"),
        ],
    )
    r = funnel(store, STEPS, period("2024-03-01", "2024-03-07"))
    assert _users(r) == [3, 2, 1]
    first, second, third = r.steps
    assert (first.conversion_from_previous, first.conversion_from_first) == (1.0, 1.0)
    assert first.median_seconds_from_previous is None
    assert second.conversion_from_previous == pytest.approx(2 / 3)
    assert second.median_seconds_from_previous == pytest.approx(120)  # (60 + 180) / 2
    assert third.conversion_from_previous == pytest.approx(1 / 2)
    assert third.conversion_from_first == pytest.approx(1 / 3)
    assert third.median_seconds_from_previous == pytest.approx(120)
    assert r.overall_conversion == pytest.approx(1 / 3)
    assert r.to_json()["window_seconds"] == 14 * 86_400
    assert [d["user_id"] for d in dropped_off(r, 1, period("2024-03-01", "2024-03-01").tz)] == ["c"]


def test_ties_count_and_out_of_order_do_not(store):
    ingest(
        store,
        [
            # a: all three at the same instant → converts (at or after)
            track("Signed Up", "2024-03-01T10:00:00Z", "a"),
            track("Target Created", "2024-03-01T10:00:00Z", "a"),
            track("First Sync Completed", "2024-03-01T10:00:00Z", "a"),
            # b: step 3 before step 2 → stops at step 2; later step 3 counts
            track("Signed Up", "2024-03-01T10:00:00Z", "b"),
            track("First Sync Completed", "2024-03-01T10:01:00Z", "b"),
            track("Target Created", "2024-03-01T10:02:00Z", "b"),
            # c: step 2 before step 1 → does not count
            track("Target Created", "2024-03-01T09:00:00Z", "c"),
            track("Signed Up", "2024-03-01T10:00:00Z", "c"),
        ],
    )
    assert _users(funnel(store, STEPS, period("2024-03-01", "2024-03-01"))) == [3, 2, 1]


def test_earliest_qualifying_occurrence_is_used(store):
    ingest(
        store,
        [
            track("Signed Up", "2024-03-01T10:00:00Z", "a"),
            track("Target Created", "2024-03-01T10:05:00Z", "a"),
            track("Target Created", "2024-03-01T10:20:00Z", "a"),
            track("First Sync Completed", "2024-03-01T10:10:00Z", "a"),
        ],
    )
    r = funnel(store, STEPS, period("2024-03-01", "2024-03-01"))
    assert _users(r) == [1, 1, 1]
    assert r.steps[1].median_seconds_from_previous == 300
    assert r.steps[2].median_seconds_from_previous == 300


def test_window_edges_and_steps_after_the_period(store):
    ingest(
        store,
        [
            track("Signed Up", "2024-03-01T10:00:00Z", "edge"),
            track("Target Created", "2024-03-01T10:00:00Z", "edge"),
            track("First Sync Completed", "2024-03-15T10:00:00Z", "edge"),  # exactly 14 d
            track("Signed Up", "2024-03-01T10:00:00Z", "late"),
            track("Target Created", "2024-03-01T10:00:00Z", "late"),
            track("First Sync Completed", "2024-03-15T10:00:00.000001Z", "late"),
        ],
    )
    r = funnel(store, STEPS, period("2024-03-01", "2024-03-01"))
    assert _users(r) == [2, 2, 1]
    short = funnel(store, STEPS[:2], period("2024-03-01", "2024-03-01"), parse_window("1s"))
    assert _users(short) == [2, 2]


def test_anchor_is_first_step_one_in_the_period(store):
    ingest(
        store,
        [
            track("Signed Up", "2024-02-28T10:00:00Z", "a"),  # before the period: ignored
            track("Signed Up", "2024-03-01T10:00:00Z", "a"),  # the anchor
            track("Signed Up", "2024-03-10T10:00:00Z", "a"),
            track("Target Created", "2024-03-20T10:00:00Z", "a"),  # 19 d after the anchor
            track("Signed Up", "2024-03-31T23:00:00Z", "b"),  # after the period
        ],
    )
    r = funnel(store, STEPS[:2], period("2024-03-01", "2024-03-30"))
    assert _users(r) == [1, 0]
    assert r.steps[1].conversion_from_previous == 0.0
    assert r.steps[1].median_seconds_from_previous is None


def test_no_users_means_null_rates(store):
    r = funnel(store, STEPS, period("2024-03-01", "2024-03-01"))
    assert _users(r) == [0, 0, 0]
    assert r.overall_conversion is None
    assert all(s.conversion_from_first is None for s in r.steps)


def test_anonymous_events_count_once_linked(store):
    ingest(
        store,
        [
            page("2024-03-01T10:00:00Z", anon="x"),
            track("Signed Up", "2024-03-01T10:01:00Z", "u1"),
        ],
    )
    steps = [PAGE_EVENT["page"], "Signed Up"]
    assert _users(funnel(store, steps, period("2024-03-01", "2024-03-01"))) == [0, 0]
    ingest(store, [{"type": "identify", "userId": "u1", "anonymousId": "x",
                    "timestamp": "2024-03-02T00:00:00Z"}])  # fmt: skip
    assert _users(funnel(store, steps, period("2024-03-01", "2024-03-01"))) == [1, 1]


def test_strict_mode(store):
    ingest(
        store,
        [
            track("Signed Up", "2024-03-01T10:00:00Z", "a"),
            track("Target Created", "2024-03-01T10:01:00Z", "a"),
            track("First Sync Completed", "2024-03-01T10:02:00Z", "a"),
            track("Signed Up", "2024-03-01T10:00:00Z", "b"),
            track("Dashboard Viewed", "2024-03-01T10:00:30Z", "b"),  # breaks strictness
            track("Target Created", "2024-03-01T10:01:00Z", "b"),
        ],
    )
    p = period("2024-03-01", "2024-03-01")
    assert _users(funnel(store, STEPS, p)) == [2, 2, 1]
    strict = funnel(store, STEPS, p, strict=True)
    assert _users(strict) == [2, 1, 1]
    assert strict.steps[1].median_seconds_from_previous == 60


def test_weekly_conversion(store):
    ingest(
        store,
        [
            track("Signed Up", "2024-03-04T10:00:00Z", "a"),
            track("Target Created", "2024-03-04T11:00:00Z", "a"),
            track("Signed Up", "2024-03-05T10:00:00Z", "b"),
            track("Signed Up", "2024-03-11T10:00:00Z", "c"),
        ],
    )
    p = period("2024-03-04", "2024-03-17")
    weeks = weekly_conversion(funnel(store, STEPS[:2], p), p.tz)
    assert [(str(w["week"]), w["entered"], w["conversion"]) for w in weeks] == [
        ("2024-03-04", 2, 0.5), ("2024-03-11", 1, 0.0),
    ]  # fmt: skip


def test_input_errors():
    with pytest.raises(InputError):
        parse_window("fortnight")
    assert parse_window("36h") == 36 * 3600 and parse_window("90") == 90


def test_repeated_steps_are_rejected(store):
    with pytest.raises(InputError, match="repeat"):
        funnel(store, ["A", "A"], period("2024-03-01", "2024-03-01"))
    with pytest.raises(InputError, match="two steps"):
        funnel(store, ["A"], period("2024-03-01", "2024-03-01"))
