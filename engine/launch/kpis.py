"""Overview tile (section "Launch"): open incidents."""

from __future__ import annotations

from engine.kpi.registry import KpiDefinition, KpiReading, Target, register
from engine.launch.incidents import has_incidents, list_incidents
from engine.periods import Period
from engine.store import Store

OPEN_INCIDENTS_DEFINITION = (
    "Incidents opened (`hub incident open`) and not yet resolved, now (any severity); "
    "the plan's success criteria allow no open SEV1."
)


@register(
    KpiDefinition(
        key="launch.open_incidents",
        label="Open incidents",
        unit="count",
        definition=OPEN_INCIDENTS_DEFINITION,
        section="Launch",
        target=Target("<=", 0.0, amber=0.0),
        higher_is_better=False,
        order=50,
    )
)
def open_incidents_tile(store: Store, period: Period, compare: bool) -> KpiReading:
    if not has_incidents(store):
        return KpiReading.missing(
            "no incidents recorded yet: open one with `hub incident open TITLE --severity SEV2`"
        )
    return KpiReading(float(len(list_incidents(store, open_only=True))))
