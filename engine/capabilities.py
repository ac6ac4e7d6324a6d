"""Capabilities plug into the hub by declaring themselves, not by editing shared lists.

A capability is a package `engine/<name>/` with a module `capability.py` that defines
`CAPABILITY = Capability(...)`, naming the modules that hold its tables, KPI providers,
demo data, HTTP routes, CLI commands and worker tasks, and the dashboard pages it adds.
Discovery walks `engine`'s subpackages once per process.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from functools import lru_cache

import engine


@dataclass(frozen=True)
class PageSpec:
    """A dashboard page: a script under pages/ and where it sits in the sidebar."""

    file: str
    title: str
    icon: str  # emoji or local file: Material icons are fetched online and fail offline
    url_path: str
    section: str
    order: int = 100


@dataclass(frozen=True)
class Capability:
    name: str
    order: int = 100
    models: str | None = None  # module declaring its tables (imported for metadata)
    kpis: str | None = None  # module registering Overview KPI providers
    demo: str | None = None  # module registering its DemoKind
    routes: str | None = None  # module with `routes() -> list[BaseRoute]`
    commands: str | None = None  # module with `register(app: typer.Typer)`
    tasks: str | None = None  # module registering WorkerTasks
    pages: tuple[PageSpec, ...] = field(default_factory=tuple)


@lru_cache(maxsize=1)
def capabilities() -> tuple[Capability, ...]:
    found = []
    for info in pkgutil.iter_modules(engine.__path__):
        if not info.ispkg:
            continue
        try:
            module = importlib.import_module(f"engine.{info.name}.capability")
        except ModuleNotFoundError as exc:
            if exc.name != f"engine.{info.name}.capability":
                raise
            continue
        found.append(module.CAPABILITY)
    return tuple(sorted(found, key=lambda c: (c.order, c.name)))


def modules(kind: str) -> list[str]:
    """The modules of every capability for one hook (`models`, `kpis`, `demo`, …)."""
    return [m for c in capabilities() if (m := getattr(c, kind))]


def import_all(kind: str) -> list[object]:
    return [importlib.import_module(m) for m in modules(kind)]


def pages() -> list[PageSpec]:
    return sorted((p for c in capabilities() for p in c.pages), key=lambda p: p.order)
