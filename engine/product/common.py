"""Helpers every product KPI shares: the period in day numbers, the timezone guard, medians."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from engine.config import get_settings
from engine.periods import Period
from engine.product.buckets import day_number, to_us
from engine.product.rollups import TimezoneChanged, rollup_timezone


@dataclass(frozen=True)
class Days:
    """A period as local day numbers [first, last] and instants [start_us, end_us)."""

    first: int
    last: int
    start_us: int
    end_us: int
    first_date: date
    last_date: date

    @classmethod
    def of(cls, period: Period) -> Days:
        return cls(
            day_number(period.first_day),
            day_number(period.last_day),
            to_us(period.start),
            to_us(period.end),
            period.first_day,
            period.last_day,
        )

    @property
    def count(self) -> int:
        return self.last - self.first + 1


def guard_timezone(session: Session) -> None:
    """Stop with the fix when rollups were built for another `HUB_TIMEZONE`."""
    built, current = rollup_timezone(session), get_settings().timezone
    if built is not None and built != current:
        raise TimezoneChanged(
            f"product rollups were built for timezone {built} but HUB_TIMEZONE is {current}: "
            "run `hub product rebuild-rollups` (or set HUB_TIMEZONE back)"
        )


def median(values: list[float]) -> float | None:
    """The middle value; for an even count the mean of the middle two; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[mid])
    return (ordered[mid - 1] + ordered[mid]) / 2


def ratio(part: float, whole: float) -> float | None:
    """A fraction, or None (never 0) when the denominator is empty."""
    return part / whole if whole else None
