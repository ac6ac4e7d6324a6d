"""The sync engine plugs into the hub here (see engine.capabilities)."""

from engine.capabilities import Capability, PageSpec

CAPABILITY = Capability(
    name="sync",
    order=10,
    models="engine.sync.models",
    kpis="engine.sync.kpis",
    demo="engine.sync.demo",
    routes="engine.sync.webhooks",
    commands="engine.sync.cli",
    tasks="engine.sync.tasks",
    pages=(PageSpec("sync.py", "Sync", "🔄", "sync", "Operations", order=10),),
)
