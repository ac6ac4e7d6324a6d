"""The KPI registry: every Overview tile is a definition plus a provider that reads the store.

A capability registers its KPIs when its module is imported (see `PROVIDER_MODULES`). A
provider answers honestly: a value, or `no_data` with how to get data in, never a 0.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from engine.periods import Period
from engine.store import Store

Comparison = Literal["<", "<=", ">", ">="]
Status = Literal["green", "amber", "red"]
_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


@dataclass(frozen=True)
class Target:
    """A plan target, e.g. uptime > 99.9 %. Amber when within `amber` (relative) of it."""

    op: Comparison
    value: float
    amber: float = 0.1
    source: str = "plan"

    def status(self, value: float) -> Status:
        if _OPS[self.op](value, self.value):
            return "green"
        slack = abs(self.value) * self.amber
        lenient = self.value + slack if self.op in ("<", "<=") else self.value - slack
        return "amber" if _OPS[self.op](value, lenient) else "red"


@dataclass(frozen=True)
class KpiDefinition:
    key: str
    label: str
    unit: str  # one of units.UNITS
    definition: str  # exact definition, shown as the tile's help text
    section: str
    target: Target | None = None
    higher_is_better: bool = True
    order: int = 100


@dataclass(frozen=True)
class KpiReading:
    """What a provider found for a period (and the period before, when asked)."""

    value: float | None = None
    previous: float | None = None
    series: list[tuple[date, float]] = field(default_factory=list)
    no_data: str | None = None  # "no data: …how to add it…"

    @classmethod
    def missing(cls, how_to_add: str) -> KpiReading:
        return cls(no_data=how_to_add)


Provider = Callable[[Store, Period, bool], KpiReading]


@dataclass(frozen=True)
class Tile:
    definition: KpiDefinition
    reading: KpiReading

    @property
    def status(self) -> Status | None:
        target, value = self.definition.target, self.reading.value
        if target is None or value is None:
            return None
        return target.status(value)

    @property
    def delta(self) -> float | None:
        if self.reading.value is None or self.reading.previous is None:
            return None
        return self.reading.value - self.reading.previous


_REGISTRY: dict[str, tuple[KpiDefinition, Provider]] = {}


def register(definition: KpiDefinition) -> Callable[[Provider], Provider]:
    """Decorator: `@register(KpiDefinition(...))` on a provider function."""

    def wrap(provider: Provider) -> Provider:
        _REGISTRY[definition.key] = (definition, provider)
        return provider

    return wrap


def load_providers() -> None:
    from engine.capabilities import import_all

    import_all("kpis")


def definitions() -> list[KpiDefinition]:
    load_providers()
    return sorted((d for d, _ in _REGISTRY.values()), key=lambda d: (d.section, d.order))


def overview(store: Store, period: Period, compare: bool) -> list[Tile]:
    """Every registered KPI for the period, in section order."""
    tiles = []
    for definition in definitions():
        provider = _REGISTRY[definition.key][1]
        tiles.append(Tile(definition, provider(store, period, compare)))
    return tiles
