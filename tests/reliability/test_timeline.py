"""Interval arithmetic behind uptime, without a store."""

from __future__ import annotations

from datetime import timedelta

from engine.reliability.timeline import (
    DOWN,
    MAINTENANCE,
    NO_DATA,
    UP,
    Segment,
    SegmentBuilder,
    outages,
    seconds_by_state,
    system_timeline,
    target_timeline,
    uptime,
)
from tests.reliability.helpers import at


def _build(interval: float, checks: list[tuple[str, bool]]) -> list[Segment]:
    builder = SegmentBuilder(interval)
    for when, ok in checks:
        builder.add(at(when), ok)
    return builder.finish()


def test_each_check_covers_until_the_next_capped_at_twice_the_interval() -> None:
    segments = _build(
        60,
        [
            ("2026-01-10 00:00:00", True),
            ("2026-01-10 00:01:00", True),
            ("2026-01-10 00:10:00", False),
            ("2026-01-10 00:11:00", True),
        ],
    )
    assert [(s.start, s.end, s.ok) for s in segments] == [
        (at("2026-01-10 00:00:00"), at("2026-01-10 00:03:00"), True),  # 00:01 + 2 min cap
        (at("2026-01-10 00:10:00"), at("2026-01-10 00:11:00"), False),
        (at("2026-01-10 00:11:00"), at("2026-01-10 00:12:00"), True),  # latest: one interval
    ]


def test_continuing_an_open_segment_merges_runs() -> None:
    builder = SegmentBuilder(60, Segment(at("2026-01-10 00:00"), at("2026-01-10 00:05"), True))
    builder.add(at("2026-01-10 00:05"), True)
    assert [(s.start, s.end) for s in builder.finish()] == [
        (at("2026-01-10 00:00"), at("2026-01-10 00:06"))
    ]


def test_target_timeline_paints_no_data_and_maintenance() -> None:
    start, end = at("2026-01-10 00:00"), at("2026-01-10 04:00")
    spans = target_timeline(
        [
            Segment(at("2026-01-09 23:00"), at("2026-01-10 01:00"), True),
            Segment(at("2026-01-10 02:00"), at("2026-01-10 03:00"), False),
        ],
        [(at("2026-01-10 00:30"), at("2026-01-10 02:30"))],
        start,
        end,
    )
    assert [(s.start.hour, s.start.minute, s.state) for s in spans] == [
        (0, 0, UP),
        (0, 30, MAINTENANCE),
        (2, 30, DOWN),
        (3, 0, NO_DATA),
    ]
    sec = seconds_by_state(spans, start, end)
    assert sec == {UP: 1800, DOWN: 1800, NO_DATA: 3600, MAINTENANCE: 7200}
    assert uptime(sec) == 0.5


def test_system_is_down_if_any_down_then_no_data_then_up() -> None:
    start, end = at("2026-01-10 00:00"), at("2026-01-10 04:00")
    a = target_timeline([Segment(start, at("2026-01-10 02:00"), True)], [], start, end)
    b = target_timeline(
        [
            Segment(start, at("2026-01-10 01:00"), True),
            Segment(at("2026-01-10 01:00"), at("2026-01-10 03:00"), False),
            Segment(at("2026-01-10 03:00"), end, True),
        ],
        [],
        start,
        end,
    )
    system = system_timeline([a, b], start, end)
    assert [(s.start.hour, s.state) for s in system] == [
        (0, UP),
        (1, DOWN),
        (3, NO_DATA),
    ]
    assert [o.seconds for o in outages(system)] == [7200]
    assert system_timeline([], start, end)[0].state == NO_DATA


def test_maintenance_everywhere_is_not_in_the_denominator() -> None:
    start = at("2026-01-10 00:00")
    end = start + timedelta(hours=1)
    spans = target_timeline([Segment(start, end, False)], [(start, end)], start, end)
    assert uptime(seconds_by_state(spans, start, end)) is None
