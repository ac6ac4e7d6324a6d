"""Product analytics plugs into the hub here (see `engine.capabilities`)."""

from engine.capabilities import Capability, PageSpec

CAPABILITY = Capability(
    name="product",
    order=20,
    models="engine.product.models",
    kpis="engine.product.tiles",
    demo="engine.product.demo",
    routes="engine.product.api",
    commands="engine.product.cli",
    tasks="engine.product.tasks",
    pages=(
        PageSpec("adoption.py", "Adoption", "📈", "adoption", "Product", order=20),
        PageSpec("funnels.py", "Funnels", "🔻", "funnels", "Product", order=21),
        PageSpec("retention.py", "Retention", "🔁", "retention", "Product", order=22),
        PageSpec(
            "customer_voice.py", "Customer voice", "💬", "customer-voice", "Product", order=23
        ),
    ),
)
