"""The architecture view plugs into the hub here (see engine.capabilities)."""

from engine.capabilities import Capability, PageSpec

CAPABILITY = Capability(
    name="architecture",
    order=15,  # right after sync, whose snapshots it reads
    commands="engine.architecture.cli",
    pages=(
        PageSpec("architecture.py", "Architecture", "🧊", "architecture", "Operations", order=15),
    ),
)
