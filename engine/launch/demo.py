"""Demo incidents and deploy markers that tell the same story as the reliability demo.

Each of the two demo outages (`DemoSpec.outages`) follows a deploy and has a resolved
incident with timeline notes (detected, identified, rolled back, resolved); the weekly
Tuesday deploys, the launch-day release and the rollbacks are annotations. Everything is
written through `engine.launch.incidents`. Incidents and annotations have no import
batch, so the ids written are kept under one launch setting and `hub demo --clear`
removes exactly those rows.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from engine.access.principal import Principal
from engine.access.roles import Role
from engine.demo import DemoSpec, ProgressFn, register
from engine.launch import incidents
from engine.launch.models import Annotation, Incident, IncidentNote, LaunchSetting
from engine.store import Store

DEMO_ROWS = "demo_rows"  # LaunchSetting: {"incidents": [ids], "annotations": [ids]}

STORIES = (
    # severity, title, what was found, the bad release's change
    (
        "SEV1",
        "API and web down: 503 on every request",
        "database connection pool exhausted after the release's new query",
        "project search index",
    ),
    (
        "SEV2",
        "API errors: sign-in failing",
        "auth service rejecting tokens signed with the rotated key",
        "token signing key rotation",
    ),
)


# The demo company's people and tools, as principals (they appear in incident timelines).
ONCALL = Principal("on-call", Role.operator, "worker")
ALERTS = Principal("alerts", Role.operator, "worker")
RELEASES = Principal("ci-releases", Role.operator, "worker")


class LaunchDemo:
    name = "launch"

    def load(self, store: Store, spec: DemoSpec, progress: ProgressFn) -> int:
        rng = spec.rng("launch")
        now = datetime.now(UTC)
        ids: dict[str, list[int]] = {"incidents": [], "annotations": []}

        def mark(text: str, at: datetime, kind: str = "deploy") -> None:
            if at < now:
                row = incidents.annotate(store, RELEASES, text, kind=kind, at=at, service="api")
                ids["annotations"].append(row["id"])

        label = "Launch: incidents and deploys"
        progress(label, 0, 1)
        minor = 0
        for d in range(spec.days):
            day = spec.first_day + timedelta(days=d)
            if day.weekday() == 1:  # Tuesday release
                minor += 1
                at = datetime.combine(day, time(15, rng.randrange(60)), UTC)
                mark(f"deploy v1.{minor}.0", at)
        launch = datetime.combine(spec.launch_day, time(14, 0), UTC)
        mark("deploy v2.0.0 (launch release)", launch)
        for n, ((start, length), story) in enumerate(zip(spec.outages, STORIES, strict=False)):
            severity, title, cause, change = story
            end = start + length
            if end + timedelta(minutes=10) > now:
                continue
            mark(f"deploy v1.{minor}.{n + 1} ({change})", start - timedelta(minutes=12))
            row = incidents.open_incident(
                store, ONCALL, title, severity, started_at=start + timedelta(minutes=2)
            )
            ids["incidents"].append(row["id"])
            notes = (
                (start + timedelta(minutes=3), "Alert fired: api and web probes failing", ALERTS),
                (start + length / 2, f"Identified: {cause}", ONCALL),
                (end - timedelta(minutes=2), f"Rolled back the {change} release", ONCALL),
            )
            for at, text, author in notes:
                incidents.add_note(store, author, row["id"], text, at=at)
            mark(f"rollback of {change}", end - timedelta(minutes=2), kind="rollback")
            incidents.resolve_incident(
                store,
                ONCALL,
                row["id"],
                at=end + timedelta(minutes=5),
                note="Resolved: error rate back to normal; postmortem scheduled",
            )
        with store.session() as s:
            kept = s.get(LaunchSetting, DEMO_ROWS)
            if kept is not None:
                old = json.loads(kept.value)
                ids = {k: old.get(k, []) + v for k, v in ids.items()}
            s.merge(LaunchSetting(key=DEMO_ROWS, value=json.dumps(ids)))
        progress(label, 1, 1)
        return len(ids["incidents"]) + len(ids["annotations"])

    def clear(self, session: Session) -> int:
        kept = session.get(LaunchSetting, DEMO_ROWS)
        if kept is None:
            return 0
        ids = json.loads(kept.value)
        removed = 0
        if ids.get("incidents"):
            session.execute(
                delete(IncidentNote).where(IncidentNote.incident_id.in_(ids["incidents"]))
            )
            removed += (
                session.execute(delete(Incident).where(Incident.id.in_(ids["incidents"]))).rowcount
                or 0
            )
        if ids.get("annotations"):
            removed += (
                session.execute(
                    delete(Annotation).where(Annotation.id.in_(ids["annotations"]))
                ).rowcount
                or 0
            )
        session.delete(kept)
        return removed


register(LaunchDemo())
