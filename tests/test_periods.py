from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from engine.errors import InputError
from engine.periods import Period, preset_period

KYIV = ZoneInfo("Europe/Kyiv")


def test_period_covers_whole_local_days() -> None:
    p = Period.from_days(date(2026, 3, 1), date(2026, 3, 31), KYIV)
    assert p.start == datetime(2026, 3, 1, tzinfo=KYIV)
    assert p.end == datetime(2026, 4, 1, tzinfo=KYIV)
    # Kyiv moves to summer time on 29 March: the period is 31 days minus one hour long.
    assert p.duration.total_seconds() == 31 * 86400 - 3600
    assert (p.first_day, p.last_day) == (date(2026, 3, 1), date(2026, 3, 31))


def test_previous_period_has_the_same_number_of_days() -> None:
    p = Period.from_days(date(2026, 3, 1), date(2026, 3, 31), UTC)  # type: ignore[arg-type]
    prev = p.previous()
    assert (prev.first_day, prev.last_day) == (date(2026, 1, 29), date(2026, 2, 28))


def test_presets_relative_to_now() -> None:
    now = datetime(2026, 5, 20, 15, 30, tzinfo=UTC)
    assert preset_period("7d", UTC, now=now).first_day == date(2026, 5, 14)  # type: ignore[arg-type]
    assert preset_period("qtd", UTC, now=now).first_day == date(2026, 4, 1)  # type: ignore[arg-type]
    assert preset_period("ytd", UTC, now=now).first_day == date(2026, 1, 1)  # type: ignore[arg-type]
    day = preset_period("24h", UTC, now=now)  # type: ignore[arg-type]
    assert day.duration.total_seconds() == 86400 and day.end > now
    assert day.previous().end == day.start


def test_bad_periods_are_input_errors() -> None:
    with pytest.raises(InputError, match="before it starts"):
        Period.from_days(date(2026, 2, 1), date(2026, 1, 1), KYIV)
    with pytest.raises(InputError, match="unknown period preset"):
        preset_period("fortnight", KYIV)
    with pytest.raises(InputError, match="custom period needs"):
        preset_period("custom", KYIV)
