"""Reliability plugs into the hub: tables, KPIs, demo data, HTTP ingest, CLI, prober, page."""

from engine.capabilities import Capability, PageSpec

CAPABILITY = Capability(
    name="reliability",
    order=40,
    models="engine.reliability.models",
    kpis="engine.reliability.kpis",
    demo="engine.reliability.demo",
    routes="engine.reliability.api",
    commands="engine.reliability.cli",
    tasks="engine.reliability.prober",
    pages=(
        PageSpec("reliability.py", "Reliability", "🩺", "reliability", "Launch control", order=40),
    ),
)
