"""Ordered funnels over raw events (indexed by event/time and person/event/time).

Definition: users entering = distinct users with step 1 in the period; each user's anchor
is their first step-1 event in the period; step k counts when the user does step k at or
after the time of the step k−1 occurrence used, within the window from the anchor (an
occurrence exactly at the window's end counts; steps may fall after the period); the
earliest qualifying occurrence is used (the greedy choice converts whenever any does).
Strict mode: step k must be the user's very next track/page call after step k−1 (ties in
time ordered by arrival).
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.orm import Session

from engine.errors import InputError
from engine.periods import Period
from engine.product.buckets import US, from_us, week_start
from engine.product.common import Days, guard_timezone, median, ratio
from engine.store import Store

DEFAULT_WINDOW_SECONDS = 14 * 86_400
DEFINITION = (
    "Users entering = distinct users with step 1 in the period, anchored at their first step-1 "
    "event in it. Step k counts when done at or after the step k−1 occurrence used and within "
    "the window from the anchor (exactly at the end counts; may fall after the period); "
    "earliest qualifying occurrences are used. Conversion from previous / first are fractions."
)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}


def parse_window(value: str) -> int:
    """`14d`, `36h`, `90m`, `3600s`, `2w` or plain seconds → seconds."""
    m = re.fullmatch(r"\s*(\d+)\s*([smhdw]?)\s*", value or "")
    if not m or int(m.group(1)) <= 0:
        raise InputError(f"--window {value!r}: use a positive number with s, m, h, d or w")
    return int(m.group(1)) * _UNITS[m.group(2) or "s"]


@dataclass(frozen=True)
class FunnelStep:
    event: str
    users: int
    conversion_from_previous: float | None
    conversion_from_first: float | None
    median_seconds_from_previous: float | None


@dataclass
class FunnelResult:
    window_seconds: int
    steps: list[FunnelStep]
    overall_conversion: float | None
    strict: bool = False
    paths: dict[str, list[int | None]] = field(default_factory=dict)  # person → step times µs

    def to_json(self) -> dict[str, Any]:
        return {
            "window_seconds": self.window_seconds,
            "steps": [s.__dict__ for s in self.steps],
            "overall_conversion": self.overall_conversion,
        }


def _check_steps(steps: list[str]) -> list[str]:
    steps = [s.strip() for s in steps if s and s.strip()]
    if len(steps) < 2:
        raise InputError('a funnel needs at least two steps (--steps "A,B")')
    for a, b in itertools.pairwise(steps):
        if a == b:
            raise InputError(f"funnel steps {a!r} repeat back to back: use distinct steps")
    return steps


def funnel(
    store: Store,
    steps: list[str],
    period: Period,
    window_seconds: int = DEFAULT_WINDOW_SECONDS,
    strict: bool = False,
) -> FunnelResult:
    steps = _check_steps(steps)
    d = Days.of(period)
    window_us = window_seconds * US
    with store.session() as s:
        guard_timezone(s)
        paths = _strict_paths(s, steps, d, window_us) if strict else _paths(s, steps, d, window_us)
    return summarize(steps, paths, window_seconds, strict)


def _paths(s: Session, steps: list[str], d: Days, window_us: int) -> dict[str, list[int | None]]:
    """One SQL statement: a CTE per step, each the earliest qualifying occurrence."""
    # Each step carries the anchor `a` along, so no step joins back to s1.
    ctes = [
        "s1 AS (SELECT person, MIN(ts_us) AS t, MIN(ts_us) AS a FROM product_events "
        "WHERE event = :e1 AND person IS NOT NULL AND ts_us >= :start AND ts_us < :end "
        "GROUP BY person)"
    ]
    for k in range(2, len(steps) + 1):
        ctes.append(
            f"s{k} AS (SELECT p.person, MIN(e.ts_us) AS t, p.a FROM s{k - 1} p "
            f"JOIN product_events e ON e.person = p.person AND e.event = :e{k} "
            "AND e.ts_us >= p.t AND e.ts_us <= p.a + :w GROUP BY p.person, p.a)"
        )
    cols = ", ".join(f"s{k}.t" for k in range(1, len(steps) + 1))
    joins = " ".join(f"LEFT JOIN s{k} ON s{k}.person = s1.person" for k in range(2, len(steps) + 1))
    sql = f"WITH {', '.join(ctes)} SELECT s1.person, {cols} FROM s1 {joins}"
    params: dict[str, Any] = {f"e{k}": e for k, e in enumerate(steps, start=1)}
    params |= {"start": d.start_us, "end": d.end_us, "w": window_us}
    return {row[0]: list(row[1:]) for row in s.execute(text(sql), params)}


def _strict_paths(
    s: Session, steps: list[str], d: Days, window_us: int
) -> dict[str, list[int | None]]:
    """Walk each entering user's calls in order from the anchor (needs their raw calls)."""
    anchors = dict(
        s.execute(
            text(
                "SELECT person, MIN(ts_us) FROM product_events WHERE event = :e1 "
                "AND person IS NOT NULL AND ts_us >= :start AND ts_us < :end GROUP BY person"
            ),
            {"e1": steps[0], "start": d.start_us, "end": d.end_us},
        ).all()
    )
    paths: dict[str, list[int | None]] = {}
    people = sorted(anchors)
    for start in range(0, len(people), 500):
        part = people[start : start + 500]
        calls: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
        rows = s.execute(
            text(
                "SELECT person, ts_us, id, event FROM product_events "
                "WHERE person IN :people AND type != 'identify' AND ts_us >= :lo AND ts_us <= :hi"
            ).bindparams(_expanding("people")),
            {
                "people": part,
                "lo": min(anchors[p] for p in part),
                "hi": max(anchors[p] for p in part) + window_us,
            },
        )
        for person, ts, row_id, event in rows:
            calls[person].append((ts, row_id, event))
        for person in part:
            paths[person] = _walk_strict(sorted(calls[person]), steps, anchors[person], window_us)
    return paths


def _expanding(name: str):  # type: ignore[no-untyped-def]
    from sqlalchemy import bindparam

    return bindparam(name, expanding=True)


def _walk_strict(
    calls: list[tuple[int, int, str]], steps: list[str], anchor: int, window_us: int
) -> list[int | None]:
    times: list[int | None] = [anchor] + [None] * (len(steps) - 1)
    pos = next(i for i, (ts, _, ev) in enumerate(calls) if ts == anchor and ev == steps[0])
    for k in range(1, len(steps)):
        pos += 1
        if pos >= len(calls):
            break
        ts, _, event = calls[pos]
        if event != steps[k] or ts > anchor + window_us:
            break
        times[k] = ts
    return times


def summarize(
    steps: list[str], paths: dict[str, list[int | None]], window_seconds: int, strict: bool
) -> FunnelResult:
    counts = [sum(1 for t in paths.values() if t[k] is not None) for k in range(len(steps))]
    out = []
    for k, event in enumerate(steps):
        waits = [
            (t[k] - t[k - 1]) / US
            for t in paths.values()
            if k and t[k] is not None and t[k - 1] is not None
        ]
        out.append(
            FunnelStep(
                event,
                counts[k],
                ratio(counts[k], counts[k - 1]) if k else ratio(counts[0], counts[0]),
                ratio(counts[k], counts[0]),
                median(waits) if k else None,
            )
        )
    overall = ratio(counts[-1], counts[0])
    return FunnelResult(window_seconds, out, overall, strict, paths)


def weekly_conversion(result: FunnelResult, tz: ZoneInfo) -> list[dict[str, Any]]:
    """Overall conversion by the week (local, Monday first) of each user's anchor."""
    weeks: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for times in result.paths.values():
        anchor = times[0]
        assert anchor is not None
        week = week_start(from_us(anchor).astimezone(tz).date())
        weeks[week][0] += 1
        weeks[week][1] += times[-1] is not None
    return [
        {"week": w, "entered": n, "converted": c, "conversion": ratio(c, n)}
        for w, (n, c) in sorted(weeks.items())
    ]


def dropped_off(result: FunnelResult, step: int, tz: ZoneInfo) -> list[dict[str, Any]]:
    """Users who reached step `step − 1` (0-based `step` ≥ 1) but not `step`."""
    if not 1 <= step < len(result.steps):
        raise InputError(f"drop-off is defined for steps 2…{len(result.steps)}")
    out = []
    for person, times in sorted(result.paths.items()):
        if times[step - 1] is not None and times[step] is None:
            reached = from_us(times[step - 1]).astimezone(tz)  # type: ignore[arg-type]
            out.append(
                {
                    "user_id": person,
                    "last_step": result.steps[step - 1].event,
                    "reached_at": reached.isoformat(),
                }
            )
    return out
