"""Retention, hand-computed: on vs on-or-after, incomplete and future buckets, averages."""

from __future__ import annotations

import pytest

from engine.errors import InputError
from engine.product.retention import retention
from tests.product.helpers import ingest, period, track


@pytest.fixture
def weekly(store):
    # Weeks: W0 = 4 Mar, W1 = 11 Mar, W2 = 18 Mar, W3 = 25 Mar 2024.
    ingest(
        store,
        [
            track("Signed Up", "2024-03-04T10:00:00Z", "a"),
            track("Signed In", "2024-03-12T10:00:00Z", "a"),  # a: W1
            track("Signed In", "2024-03-26T10:00:00Z", "a"),  # a: W3
            track("Signed Up", "2024-03-06T10:00:00Z", "b"),
            track("Signed In", "2024-03-19T10:00:00Z", "b"),  # b: W2
            track("Signed Up", "2024-03-10T10:00:00Z", "c"),  # c: never returns
            track("Signed Up", "2024-03-12T10:00:00Z", "d"),  # cohort W1
            track("Signed In", "2024-03-18T10:00:00Z", "d"),  # d: W1+1
            track("Signed Up", "2024-02-20T10:00:00Z", "old"),  # first-ever before period
            track("Signed Up", "2024-03-05T10:00:00Z", "old"),
            track("Signed In", "2024-04-02T10:00:00Z", "a"),  # after the period: ignored
        ],
    )
    return store


def test_on_mode_with_incomplete_and_future_buckets(weekly):
    t = retention(weekly, period("2024-03-04", "2024-03-27"), periods=4)
    assert [str(c.cohort) for c in t.cohorts] == [
        "2024-03-04", "2024-03-11", "2024-03-18", "2024-03-25",
    ]  # fmt: skip
    w0, w1, w2, w3 = t.cohorts
    assert (w0.size, w0.retained) == (3, [3, 1, 1, 1])
    assert w0.rates == [1.0, pytest.approx(1 / 3), pytest.approx(1 / 3), pytest.approx(1 / 3)]
    assert w0.complete == [True, True, True, False]  # W3 runs past the 27th
    assert (w1.size, w1.retained, w1.complete) == (1, [1, 1, 0, None], [True, True, False, False])
    assert w1.rates[3] is None  # starts after the period's end
    assert (w2.size, w2.rates) == (0, [None, None, None, None])
    assert (w3.size, w3.retained) == (0, [0, None, None, None])
    # average over complete cells, weighted by cohort size
    assert t.average == [1.0, pytest.approx(2 / 4), pytest.approx(1 / 3), None]


def test_on_or_after_mode(weekly):
    t = retention(weekly, period("2024-03-04", "2024-03-27"), periods=4, mode="on_or_after")
    assert t.cohorts[0].retained == [3, 2, 2, 1]  # a (W1, W3) and b (W2)


def test_return_event_and_month_grain(weekly):
    ingest(weekly, [track("Sync Triggered", "2024-04-10T10:00:00Z", "b")])
    t = retention(
        weekly, period("2024-03-01", "2024-04-30"), grain="month", periods=3,
        return_event="Sync Triggered",
    )  # fmt: skip
    march, april = t.cohorts
    assert (march.size, march.retained, march.complete) == (4, [4, 1, None], [True, True, False])
    assert (april.size, april.retained) == (0, [0, None, None])


def test_day_grain_cohorts_start_within_period(weekly):
    t = retention(weekly, period("2024-03-06", "2024-03-07"), grain="day", periods=2)
    assert [(str(c.cohort), c.size) for c in t.cohorts] == [("2024-03-06", 1), ("2024-03-07", 0)]
    assert t.cohorts[0].complete == [True, True]
    assert t.cohorts[1].complete == [True, False]


def test_week_cohorts_start_on_monday_within_period(weekly):
    t = retention(weekly, period("2024-03-05", "2024-03-20"), periods=2)
    assert [str(c.cohort) for c in t.cohorts] == ["2024-03-11", "2024-03-18"]


def test_bad_arguments(store):
    with pytest.raises(InputError):
        retention(store, period("2024-03-01", "2024-03-02"), grain="year")  # type: ignore[arg-type]
    with pytest.raises(InputError):
        retention(store, period("2024-03-01", "2024-03-02"), mode="sometimes")  # type: ignore[arg-type]
