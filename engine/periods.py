"""Reporting periods: whole days in the reporting timezone, with the period before.

A period `--from A --to B` is [A 00:00, B+1 00:00) local time, everywhere in the hub.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from engine.errors import InputError

PRESETS: dict[str, str] = {
    "24h": "Last 24 hours",
    "7d": "Last 7 days",
    "30d": "Last 30 days",
    "90d": "Last 90 days",
    "qtd": "Quarter to date",
    "ytd": "Year to date",
    "custom": "Custom",
}
DEFAULT_PRESET = "30d"


@dataclass(frozen=True)
class Period:
    """A half-open instant range [start, end) with the calendar days it was made from."""

    start: datetime
    end: datetime
    tz: ZoneInfo
    label: str

    @classmethod
    def from_days(cls, first: date, last: date, tz: ZoneInfo, label: str = "") -> Period:
        if last < first:
            raise InputError(f"period ends ({last}) before it starts ({first})")
        start = datetime.combine(first, time(), tz)
        end = datetime.combine(last + timedelta(days=1), time(), tz)
        return cls(start, end, tz, label or f"{first} – {last}")

    @property
    def first_day(self) -> date:
        return self.start.astimezone(self.tz).date()

    @property
    def last_day(self) -> date:
        return (self.end - timedelta(microseconds=1)).astimezone(self.tz).date()

    @property
    def duration(self) -> timedelta:
        # Aware datetimes in one zone subtract as wall time; UTC gives real elapsed time (DST).
        return self.end.astimezone(UTC) - self.start.astimezone(UTC)

    @property
    def start_utc(self) -> datetime:
        return self.start.astimezone(UTC)

    @property
    def end_utc(self) -> datetime:
        return self.end.astimezone(UTC)

    def previous(self) -> Period:
        """The period of the same length that ends where this one starts."""
        if self.start.time() == time() and self.end.time() == time():
            days = (self.last_day - self.first_day).days + 1
            first = self.first_day - timedelta(days=days)
            return Period.from_days(first, self.first_day - timedelta(days=1), self.tz)
        return Period(self.start - self.duration, self.start, self.tz, "previous period")


def parse_day(value: str, field: str = "date") -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{field}: {value!r} is not a date (use YYYY-MM-DD)") from None


def preset_period(
    preset: str,
    tz: ZoneInfo,
    *,
    now: datetime | None = None,
    first: date | None = None,
    last: date | None = None,
) -> Period:
    """Resolve a sidebar preset to a period; `custom` needs `first` and `last`."""
    now = (now or datetime.now(UTC)).astimezone(tz)
    today = now.date()
    if preset == "24h":
        end = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
        return Period(end - timedelta(hours=24), end, tz, PRESETS[preset])
    if preset in ("7d", "30d", "90d"):
        days = int(preset[:-1])
        return Period.from_days(today - timedelta(days=days - 1), today, tz, PRESETS[preset])
    if preset == "qtd":
        q_first = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        return Period.from_days(q_first, today, tz, PRESETS[preset])
    if preset == "ytd":
        return Period.from_days(date(today.year, 1, 1), today, tz, PRESETS[preset])
    if preset == "custom":
        if first is None or last is None:
            raise InputError("custom period needs both a first and a last day")
        return Period.from_days(first, last, tz, f"{first} – {last}")
    raise InputError(f"unknown period preset {preset!r} (one of {', '.join(PRESETS)})")
