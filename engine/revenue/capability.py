"""Revenue analytics plugs into the hub here (see `engine.capabilities`)."""

from engine.capabilities import Capability, PageSpec

CAPABILITY = Capability(
    name="revenue",
    order=30,
    models="engine.revenue.models",
    kpis="engine.revenue.kpis",
    demo="engine.revenue.demo",
    routes="engine.revenue.webhook",
    commands="engine.revenue.cli",
    tasks="engine.revenue.tasks",
    pages=(PageSpec("revenue.py", "Revenue", "💰", "revenue", "Business", order=30),),
)
