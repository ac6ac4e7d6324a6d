"""Cohort retention over rollups (first-ever occurrences and per-day activity).

Cohorts are the buckets (local day / Monday week / month) that start within the period;
a cohort is the users whose first-ever start event falls in it. A user is retained in
bucket N ("on") when they have a return event in bucket cohort+N, or ("on_or_after") in
any bucket ≥ N. Everything is as of the end of the period's last day: later events are
ignored; a bucket not ended by then is incomplete (count so far; `null` once it starts
after that moment) and left out of the size-weighted average row.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from sqlalchemy import text

from engine.errors import InputError
from engine.periods import Period
from engine.product.buckets import (
    Grain,
    bucket_offset,
    bucket_start,
    day_date,
    day_number,
    local_midnight_us,
    next_bucket,
)
from engine.product.common import Days, guard_timezone, ratio
from engine.store import Store

Mode = Literal["on", "on_or_after"]
ANY = "any"
DEFINITION = (
    "Cohort = users whose first-ever start event falls in the bucket; retained in bucket N "
    "when they have a return event in bucket N (on) or in any bucket ≥ N (on or after); "
    "bucket 0 is the cohort (100%). As of the end of the period's last day; incomplete "
    "buckets are marked and left out of the size-weighted average."
)


@dataclass(frozen=True)
class Cohort:
    cohort: date
    size: int
    retained: list[int | None]
    rates: list[float | None]
    complete: list[bool]

    def to_json(self) -> dict[str, Any]:
        return {
            "cohort": str(self.cohort),
            "size": self.size,
            "retained": self.retained,
            "rates": self.rates,
            "complete": self.complete,
        }


@dataclass(frozen=True)
class RetentionTable:
    period: Grain
    mode: Mode
    cohorts: list[Cohort]
    average: list[float | None]

    def to_json(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "mode": self.mode,
            "cohorts": [c.to_json() for c in self.cohorts],
            "average": self.average,
        }


def cohort_starts(period: Period, grain: Grain) -> list[date]:
    first = bucket_start(period.first_day, grain)
    if first < period.first_day:
        first = next_bucket(first, grain)
    out = []
    while first <= period.last_day:
        out.append(first)
        first = next_bucket(first, grain)
    return out


def retention(
    store: Store,
    period: Period,
    *,
    start_event: str = "Signed Up",
    return_event: str = ANY,
    grain: Grain = "week",
    periods: int = 8,
    mode: Mode = "on",
) -> RetentionTable:
    if grain not in ("day", "week", "month"):
        raise InputError(f"--period must be day, week or month, got {grain!r}")
    if mode not in ("on", "on_or_after"):
        raise InputError(f"--mode must be on or on_or_after, got {mode!r}")
    if not 1 <= periods <= 400:
        raise InputError("--periods must be between 1 and 400")
    starts = cohort_starts(period, grain)
    d = Days.of(period)
    if not starts:
        return RetentionTable(grain, mode, [], [None] * periods)
    col = {"day": "day", "week": "week", "month": "month"}[grain]
    first_us = local_midnight_us(starts[0], period.tz)
    members = (
        f"SELECT f.person AS person, c.{col} AS cohort FROM product_user_firsts f "
        "JOIN product_calendar c ON c.day = f.day "
        "WHERE f.event = :start AND f.ts_us >= :cs AND f.ts_us < :end"
    )
    if return_event == ANY:
        activity = "SELECT person, day FROM product_user_days WHERE day >= :d0 AND day <= :d1"
    else:
        activity = (
            "SELECT person, day FROM product_user_event_days "
            "WHERE event = :ret AND day >= :d0 AND day <= :d1"
        )
    params = {
        "start": start_event,
        "ret": return_event,
        "cs": first_us,
        "end": d.end_us,
        "d0": day_number(starts[0]),
        "d1": d.last,
    }
    returns = (
        f"SELECT m.person, m.cohort, rc.{col} AS bucket FROM ({members}) m "
        f"JOIN ({activity}) r ON r.person = m.person "
        "JOIN product_calendar rc ON rc.day = r.day"
    )
    with store.session() as s:
        guard_timezone(s)
        sizes = dict(
            s.execute(
                text(f"SELECT cohort, COUNT(*) FROM ({members}) m GROUP BY cohort"), params
            ).all()
        )
        if mode == "on":
            counted = s.execute(
                text(
                    f"SELECT cohort, bucket, COUNT(DISTINCT person) FROM ({returns}) x "
                    "GROUP BY cohort, bucket"
                ),
                params,
            ).all()
        else:
            counted = s.execute(
                text(
                    "SELECT cohort, last_bucket, COUNT(*) FROM (SELECT person, cohort, "
                    f"MAX(bucket) AS last_bucket FROM ({returns}) x GROUP BY person, cohort) y "
                    "GROUP BY cohort, last_bucket"
                ),
                params,
            ).all()
    by_offset: dict[date, dict[int, int]] = defaultdict(dict)
    for cohort_day, bucket_day, n in counted:
        c, b = day_date(cohort_day), day_date(bucket_day)
        by_offset[c][bucket_offset(c, b, grain)] = int(n)
    return _table(starts, sizes, by_offset, grain, mode, periods, period.last_day)


def _table(
    starts: list[date],
    sizes: dict[int, int],
    by_offset: dict[date, dict[int, int]],
    grain: Grain,
    mode: Mode,
    periods: int,
    last_day: date,
) -> RetentionTable:
    cohorts = []
    for start in starts:
        size = int(sizes.get(day_number(start), 0))
        counts = by_offset.get(start, {})
        retained: list[int | None] = []
        complete: list[bool] = []
        bucket = start
        for n in range(periods):
            end = next_bucket(bucket, grain)
            if bucket > last_day:
                retained.append(None)
                complete.append(False)
            else:
                if n == 0:
                    value = size
                elif mode == "on":
                    value = counts.get(n, 0)
                else:
                    value = sum(v for k, v in counts.items() if k >= n)
                retained.append(value)
                complete.append(end <= _next(last_day))
            bucket = end
        rates = [None if r is None else ratio(r, size) for r in retained]
        cohorts.append(Cohort(start, size, retained, rates, complete))
    average: list[float | None] = []
    for n in range(periods):
        done = [c for c in cohorts if c.complete[n]]
        average.append(ratio(sum(c.retained[n] or 0 for c in done), sum(c.size for c in done)))
    return RetentionTable(grain, mode, cohorts, average)


def _next(d: date) -> date:
    return next_bucket(d, "day")
