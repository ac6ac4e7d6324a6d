"""Launch control plugs into the hub: SLOs, alerts, incidents, checklist, go/no-go."""

from engine.capabilities import Capability, PageSpec

CAPABILITY = Capability(
    name="launch",
    order=45,
    models="engine.launch.models",
    kpis="engine.launch.kpis",
    demo="engine.launch.demo",
    routes="engine.launch.api",
    commands="engine.launch.cli",
    tasks="engine.launch.tasks",
    pages=(
        PageSpec("incidents.py", "Incidents", "🚨", "incidents", "Launch control", order=41),
        PageSpec("launch.py", "Launch", "🚀", "launch", "Launch control", order=42),
    ),
)
