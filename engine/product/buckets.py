"""Local calendar buckets as integers, so SQL on SQLite and PostgreSQL does plain arithmetic.

A *day number* is the count of days from 1970-01-01 to a local date in `HUB_TIMEZONE`; a
week is keyed by the day number of its Monday, a month by the day number of its 1st.
Timestamps are kept as integer microseconds since the Unix epoch (UTC).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

EPOCH = date(1970, 1, 1)
EPOCH_DT = datetime(1970, 1, 1, tzinfo=UTC)
US = 1_000_000
DAY_US = 86_400 * US
Grain = Literal["day", "week", "month"]


def to_us(ts: datetime) -> int:
    """Exact integer microseconds since the epoch (no float rounding)."""
    delta = ts.astimezone(UTC) - EPOCH_DT
    return (delta.days * 86_400 + delta.seconds) * US + delta.microseconds


def from_us(us: int) -> datetime:
    return EPOCH_DT + timedelta(microseconds=us)


def day_number(d: date) -> int:
    return (d - EPOCH).days


def day_date(n: int) -> date:
    return EPOCH + timedelta(days=n)


def local_day(ts_us: int, tz: ZoneInfo) -> int:
    return day_number(from_us(ts_us).astimezone(tz).date())


def week_start(d: date) -> date:
    return d - timedelta(days=d.weekday())


def month_start(d: date) -> date:
    return d.replace(day=1)


def bucket_start(d: date, grain: Grain) -> date:
    if grain == "day":
        return d
    if grain == "week":
        return week_start(d)
    return month_start(d)


def next_bucket(d: date, grain: Grain) -> date:
    """Start of the bucket after the one starting at `d`."""
    if grain == "day":
        return d + timedelta(days=1)
    if grain == "week":
        return d + timedelta(days=7)
    return date(d.year + d.month // 12, d.month % 12 + 1, 1)


def bucket_offset(cohort: date, other: date, grain: Grain) -> int:
    """How many buckets `other` lies after `cohort` (both bucket starts)."""
    if grain == "day":
        return (other - cohort).days
    if grain == "week":
        return (other - cohort).days // 7
    return (other.year - cohort.year) * 12 + other.month - cohort.month


def local_midnight_us(d: date, tz: ZoneInfo) -> int:
    return to_us(datetime.combine(d, datetime.min.time(), tz))


def calendar_rows(first: date, last: date) -> list[dict[str, object]]:
    """Rows of the calendar table: day → its week and month (all day numbers)."""
    rows = []
    d = first
    while d <= last:
        rows.append(
            {
                "day": day_number(d),
                "date": d,
                "week": day_number(week_start(d)),
                "month": day_number(month_start(d)),
            }
        )
        d += timedelta(days=1)
    return rows
