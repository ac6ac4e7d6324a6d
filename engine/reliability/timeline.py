"""Time-weighted uptime as interval arithmetic, free of storage so it is easy to test.

A check stands for the time from it to the target's next check, capped at twice the
target's interval; the latest check stands for one interval. Consecutive pieces in the
same state merge into segments. A target's timeline over a window is then up, down,
no data (not covered) or maintenance; the system's is derived moment by moment.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Literal

State = Literal["up", "down", "no_data", "maintenance"]
UP: State = "up"
DOWN: State = "down"
NO_DATA: State = "no_data"
MAINTENANCE: State = "maintenance"


@dataclass(frozen=True)
class Span:
    """A half-open stretch [start, end) in one state."""

    start: datetime
    end: datetime
    state: State

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


@dataclass
class Segment:
    """Covered time of one target in one state (ok = up)."""

    start: datetime
    end: datetime
    ok: bool


class SegmentBuilder:
    """Turns a time-ordered stream of checks into merged segments.

    `open_segment` lets an incremental rebuild continue the segment that ends where the
    rebuild starts, so a run of up time stays one row however it was written.
    """

    def __init__(self, interval_seconds: float, open_segment: Segment | None = None) -> None:
        self.interval = timedelta(seconds=interval_seconds)
        self.cap = 2 * self.interval
        self.current = open_segment
        self._pending: tuple[datetime, bool] | None = None
        self.closed: list[Segment] = []

    def add(self, checked_at: datetime, ok: bool) -> None:
        if self._pending is not None:
            prev_at, prev_ok = self._pending
            self._piece(prev_at, min(checked_at, prev_at + self.cap), prev_ok)
        self._pending = (checked_at, ok)

    def finish(self) -> list[Segment]:
        """Close the stream (the latest check stands for one interval); all segments out."""
        if self._pending is not None:
            at, ok = self._pending
            self._piece(at, at + self.interval, ok)
            self._pending = None
        out = self.closed
        if self.current is not None:
            out.append(self.current)
        self.closed, self.current = [], None
        return out

    def add_run(self, start: datetime, end: datetime, ok: bool) -> None:
        """Covered time known to be one state (merged like single checks' pieces)."""
        self._piece(start, end, ok)

    def _piece(self, start: datetime, end: datetime, ok: bool) -> None:
        if end <= start:
            return
        cur = self.current
        if cur is not None and cur.ok == ok and cur.end == start:
            cur.end = end
            return
        if cur is not None:
            self.closed.append(cur)
        self.current = Segment(start, end, ok)


def merge_intervals(
    intervals: Iterable[tuple[datetime, datetime]],
) -> list[tuple[datetime, datetime]]:
    """Union of intervals as sorted, disjoint, non-touching intervals."""
    out: list[tuple[datetime, datetime]] = []
    for s, e in sorted(i for i in intervals if i[1] > i[0]):
        if out and s <= out[-1][1]:
            if e > out[-1][1]:
                out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def _coalesce(spans: Iterable[Span]) -> list[Span]:
    out: list[Span] = []
    for span in spans:
        if span.end <= span.start:
            continue
        if out and out[-1].state == span.state and out[-1].end == span.start:
            out[-1] = Span(out[-1].start, span.end, span.state)
        else:
            out.append(span)
    return out


def target_timeline(
    segments: Iterable[Segment],
    maintenance: Iterable[tuple[datetime, datetime]],
    start: datetime,
    end: datetime,
) -> list[Span]:
    """The target's state over [start, end): every moment is in exactly one span."""
    base: list[Span] = []
    cursor = start
    for seg in sorted(segments, key=lambda s: s.start):
        s, e = max(seg.start, start), min(seg.end, end)
        if e <= s:
            continue
        if s > cursor:
            base.append(Span(cursor, s, NO_DATA))
        s = max(s, cursor)
        if e > s:
            base.append(Span(s, e, UP if seg.ok else DOWN))
            cursor = e
    if cursor < end:
        base.append(Span(cursor, end, NO_DATA))
    windows = [(max(s, start), min(e, end)) for s, e in merge_intervals(maintenance)]
    return _coalesce(_overlay(base, [w for w in windows if w[1] > w[0]]))


def _overlay(spans: list[Span], windows: list[tuple[datetime, datetime]]) -> list[Span]:
    """Paint maintenance windows (sorted, disjoint) over spans."""
    if not windows:
        return spans
    out: list[Span] = []
    i = 0
    for span in spans:
        cursor = span.start
        while i < len(windows) and windows[i][1] <= cursor:
            i += 1
        j = i
        while j < len(windows) and windows[j][0] < span.end:
            ws, we = max(windows[j][0], cursor), min(windows[j][1], span.end)
            if ws > cursor:
                out.append(Span(cursor, ws, span.state))
            out.append(Span(ws, we, MAINTENANCE))
            cursor = we
            if windows[j][1] > span.end:
                break
            j += 1
        if cursor < span.end:
            out.append(Span(cursor, span.end, span.state))
    return out


def system_timeline(timelines: Sequence[list[Span]], start: datetime, end: datetime) -> list[Span]:
    """Down if any target is down; else no data if any has none; maintenance if all are in
    maintenance; up otherwise. With no targets at all, everything is no data."""
    if not timelines:
        return [Span(start, end, NO_DATA)] if end > start else []
    bounds = sorted({start, end, *(s.start for tl in timelines for s in tl)})
    idx = [0] * len(timelines)
    out: list[Span] = []
    for a, b in pairwise(bounds):
        if b <= start or a >= end:
            continue
        states = []
        for n, tl in enumerate(timelines):
            while idx[n] < len(tl) and tl[idx[n]].end <= a:
                idx[n] += 1
            states.append(tl[idx[n]].state if idx[n] < len(tl) else NO_DATA)
        if DOWN in states:
            state: State = DOWN
        elif NO_DATA in states:
            state = NO_DATA
        elif all(s == MAINTENANCE for s in states):
            state = MAINTENANCE
        else:
            state = UP
        out.append(Span(a, b, state))
    return _coalesce(out)


def seconds_by_state(spans: Iterable[Span], start: datetime, end: datetime) -> dict[State, float]:
    """Seconds of each state inside [start, end)."""
    out: dict[State, float] = {UP: 0.0, DOWN: 0.0, NO_DATA: 0.0, MAINTENANCE: 0.0}
    for span in spans:
        s, e = max(span.start, start), min(span.end, end)
        if e > s:
            out[span.state] += (e - s).total_seconds()
    return out


def outages(spans: Iterable[Span]) -> list[Span]:
    """Maximal stretches of continuous down time (no data and maintenance end them)."""
    return [s for s in _coalesce(spans) if s.state == DOWN]


def uptime(by_state: dict[State, float]) -> float | None:
    """Up ÷ (up + down); None when nothing was measured."""
    measured = by_state[UP] + by_state[DOWN]
    return by_state[UP] / measured if measured > 0 else None
