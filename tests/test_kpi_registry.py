from datetime import date
from zoneinfo import ZoneInfo

import pytest

from engine.kpi import registry
from engine.kpi.registry import KpiDefinition, KpiReading, Target, Tile
from engine.kpi.units import format_value
from engine.periods import Period


@pytest.mark.parametrize(
    ("op", "target", "value", "status"),
    [
        (">", 0.999, 0.9995, "green"),
        (">", 0.999, 0.95, "amber"),  # within 10 % of the target
        (">", 0.999, 0.5, "red"),
        ("<", 0.001, 0.0005, "green"),
        ("<", 0.001, 0.00105, "amber"),
        ("<", 0.001, 0.01, "red"),
        (">=", 50, 50, "green"),
    ],
)
def test_target_status(op: str, target: float, value: float, status: str) -> None:
    assert Target(op, target).status(value) == status  # type: ignore[arg-type]


def test_tile_delta_and_status_need_values() -> None:
    d = KpiDefinition("k", "K", "ratio", "def", "S", target=Target(">", 0.5))
    assert Tile(d, KpiReading.missing("add data")).status is None
    assert Tile(d, KpiReading(value=0.7, previous=0.6)).delta == pytest.approx(0.1)
    assert Tile(d, KpiReading(value=0.7)).delta is None


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (0.99912, "ratio", "99.91 %"),
        (0.25, "ratio", "25.0 %"),
        (87.4, "ms", "87 ms"),
        (12345.678, "money", "$12,346"),
        (-12.5, "money", "-$12.50"),
        (None, "ms", "—"),
        (42, "score", "+42"),
        (90, "seconds", "1.5 min"),
    ],
)
def test_format_value(value: float | None, unit: str, text: str) -> None:
    assert format_value(value, unit) == text


def test_overview_calls_each_registered_provider(store, monkeypatch) -> None:
    monkeypatch.setattr(registry, "_REGISTRY", {})
    seen: list[Period] = []

    @registry.register(KpiDefinition("t", "Test", "count", "rows", "Z"))
    def _provider(_store, period, compare):  # type: ignore[no-untyped-def]
        seen.append(period)
        return KpiReading(value=3, previous=1 if compare else None)

    period = Period.from_days(date(2026, 1, 1), date(2026, 1, 7), ZoneInfo("UTC"))
    tiles = [t for t in registry.overview(store, period, True) if t.definition.key == "t"]
    assert tiles[0].reading.value == 3 and tiles[0].delta == 2
    assert seen == [period]


def test_multiple_unit() -> None:
    assert format_value(3.0, "multiple") == "3.00×"
