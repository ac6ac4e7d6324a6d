"""Incidents (SEV1–SEV3, timeline notes, resolve) and annotations such as deploy markers.

`category` marks incidents the launch's rollback and success criteria look for:
`data_loss`, `data_corruption` and `security_breach`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from engine.access import audit
from engine.access.principal import Principal
from engine.access.roles import Permission
from engine.errors import InputError
from engine.launch.models import Annotation, Incident, IncidentNote
from engine.store import Store
from engine.store.base import utcnow

SEVERITIES = ("SEV1", "SEV2", "SEV3")
CATEGORIES = ("data_loss", "data_corruption", "security_breach")
ANNOTATION_KINDS = ("deploy", "rollback", "config", "note")


def _severity(value: str) -> str:
    sev = value.strip().upper()
    if sev in ("1", "2", "3"):
        sev = f"SEV{sev}"
    if sev not in SEVERITIES:
        raise InputError("severity must be SEV1, SEV2 or SEV3")
    return sev


def _aware(value: datetime | None, what: str) -> datetime:
    if value is None:
        return utcnow()
    if value.tzinfo is None:
        raise InputError(f"{what} needs a timezone")
    return value


def incident_dict(i: Incident, notes: list[IncidentNote] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": i.id,
        "title": i.title,
        "severity": i.severity,
        "category": i.category,
        "started_at": i.started_at.isoformat(),
        "resolved_at": i.resolved_at.isoformat() if i.resolved_at else None,
        "status": "resolved" if i.resolved_at else "open",
    }
    if notes is not None:
        out["notes"] = [
            {"at": n.at.isoformat(), "text": n.text, "author": n.author}
            for n in sorted(notes, key=lambda n: (n.at, n.id))
        ]
    return out


def open_incident(
    store: Store,
    actor: Principal,
    title: str,
    severity: str,
    *,
    started_at: datetime | None = None,
    category: str | None = None,
) -> dict[str, Any]:
    audit.guard(store, actor, Permission.incident_manage, "incident.open", title)
    if not title.strip():
        raise InputError("an incident needs a title")
    if category is not None and category not in CATEGORIES:
        raise InputError(f"category must be one of {', '.join(CATEGORIES)}")
    row = Incident(
        title=title.strip(),
        severity=_severity(severity),
        category=category,
        started_at=_aware(started_at, "the start"),
        created_at=utcnow(),
    )
    with store.session() as s:
        s.add(row)
        s.flush()
        s.add(
            IncidentNote(
                incident_id=row.id, at=row.started_at, text="Incident opened", author=actor.name
            )
        )
        out = incident_dict(row)
        audit.record(
            s,
            actor,
            "incident.open",
            f"#{row.id} {row.title}",
            after={"severity": row.severity, "category": category, "started_at": row.started_at},
        )
        return out


def _get(s: Any, incident_id: int) -> Incident:
    row = s.get(Incident, incident_id)
    if row is None:
        raise InputError(f"no incident #{incident_id}")
    return row


def add_note(
    store: Store, actor: Principal, incident_id: int, text: str, *, at: datetime | None = None
) -> None:
    audit.guard(store, actor, Permission.incident_manage, "incident.note", f"#{incident_id}")
    if not text.strip():
        raise InputError("a note needs text")
    with store.session() as s:
        _get(s, incident_id)
        s.add(
            IncidentNote(
                incident_id=incident_id,
                at=_aware(at, "the note"),
                text=text.strip(),
                author=actor.name[:100],
            )
        )
        audit.record(s, actor, "incident.note", f"#{incident_id}", after={"text": text.strip()})


def resolve_incident(
    store: Store, actor: Principal, incident_id: int, *, at: datetime | None = None, note: str = ""
) -> dict[str, Any]:
    audit.guard(store, actor, Permission.incident_manage, "incident.resolve", f"#{incident_id}")
    with store.session() as s:
        row = _get(s, incident_id)
        if row.resolved_at is not None:
            raise InputError(f"incident #{incident_id} is already resolved")
        when = _aware(at, "the resolution")
        if when < row.started_at:
            raise InputError("an incident cannot be resolved before it started")
        row.resolved_at = when
        s.add(
            IncidentNote(
                incident_id=row.id, at=when, text=note or "Resolved", author=actor.name[:100]
            )
        )
        audit.record(
            s,
            actor,
            "incident.resolve",
            f"#{row.id} {row.title}",
            before={"resolved_at": None},
            after={"resolved_at": when},
        )
        return incident_dict(row)


def list_incidents(store: Store, *, open_only: bool = False) -> list[dict[str, Any]]:
    with store.session() as s:
        q = select(Incident).order_by(Incident.started_at.desc(), Incident.id.desc())
        if open_only:
            q = q.where(Incident.resolved_at.is_(None))
        rows = list(s.scalars(q))
        notes: dict[int, list[IncidentNote]] = {}
        if rows:
            for n in s.scalars(
                select(IncidentNote).where(IncidentNote.incident_id.in_([r.id for r in rows]))
            ):
                notes.setdefault(n.incident_id, []).append(n)
        return [incident_dict(r, notes.get(r.id, [])) for r in rows]


def incidents_between(store: Store, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Incidents overlapping [start, end) (open ones run to now)."""
    with store.session() as s:
        rows = s.scalars(
            select(Incident).where(
                Incident.started_at < end,
                (Incident.resolved_at.is_(None)) | (Incident.resolved_at > start),
            )
        )
        return [incident_dict(r) for r in rows]


def has_incidents(store: Store) -> bool:
    with store.session() as s:
        return s.scalar(select(Incident.id).limit(1)) is not None


def annotate(
    store: Store,
    actor: Principal,
    text: str,
    *,
    kind: str = "deploy",
    at: datetime | None = None,
    service: str | None = None,
) -> dict[str, Any]:
    audit.guard(store, actor, Permission.annotate, "annotate", text[:100])
    if kind not in ANNOTATION_KINDS:
        raise InputError(f"kind must be one of {', '.join(ANNOTATION_KINDS)}")
    row = Annotation(
        at=_aware(at, "the annotation"),
        kind=kind,
        text=text.strip()[:500],
        service=service,
        created_at=utcnow(),
    )
    with store.session() as s:
        s.add(row)
        s.flush()
        out = annotation_dict(row)
        audit.record(s, actor, "annotate", f"{kind}: {row.text}", after=out)
        return out


def annotation_dict(a: Annotation) -> dict[str, Any]:
    return {
        "id": a.id,
        "at": a.at.isoformat(),
        "kind": a.kind,
        "text": a.text,
        "service": a.service,
    }


def list_annotations(
    store: Store, start: datetime | None = None, end: datetime | None = None
) -> list[dict[str, Any]]:
    with store.session() as s:
        q = select(Annotation).order_by(Annotation.at)
        if start is not None:
            q = q.where(Annotation.at >= start)
        if end is not None:
            q = q.where(Annotation.at < end)
        return [annotation_dict(a) for a in s.scalars(q)]


def chart_markers(store: Store, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Markers for time charts in [start, end): annotations (deploys, …) and incidents.

    Each is `{"at", "kind", "label"}`; an incident also has `"end"` (its resolution, None
    while open) and `"severity"`, and is included when it overlaps the range (its `at`
    may then be before `start`), so a chart can shade the whole stretch.
    """
    out: list[dict[str, Any]] = [
        {"at": datetime.fromisoformat(a["at"]), "kind": a["kind"], "label": a["text"]}
        for a in list_annotations(store, start, end)
    ]
    for i in incidents_between(store, start, end):
        out.append(
            {
                "at": datetime.fromisoformat(i["started_at"]),
                "end": datetime.fromisoformat(i["resolved_at"]) if i["resolved_at"] else None,
                "kind": "incident",
                "severity": i["severity"],
                "label": f"{i['severity']} {i['title']}",
            }
        )
    return sorted(out, key=lambda m: m["at"])
