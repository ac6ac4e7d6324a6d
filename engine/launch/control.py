"""Launch control: the launch time, the checklist, live success and rollback criteria,
the suggested decision, recorded go/no-go decisions and the launch report.

Criteria are evaluated from data at call time (`launch_status`). Windows are measured
from the launch time: the "after 24 h / 1 week / 1 month" reliability criteria use the
data so far once the launch has happened (a failing value fails now); adoption (active
users) is pending (`passed: null`) until its week is over. Before the launch, window
criteria have no value and are pending.

Suggested decision: `rollback` when any rollback criterion is met; else `no_go` when any
success criterion failed or a checklist item is overdue (due, not done or n/a); else `go`.
"""

from __future__ import annotations

import html
import json
import operator
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from engine.access import audit
from engine.access.principal import Principal
from engine.access.roles import Permission
from engine.errors import HubError, InputError
from engine.launch.checklist_data import ITEMS, PHASES
from engine.launch.models import (
    AlertRule,
    Annotation,
    ChecklistItem,
    CriterionSetting,
    Incident,
    LaunchDecision,
    LaunchSetting,
)
from engine.store import Store
from engine.store.base import utcnow

PLAN_LAUNCH = datetime(2026, 1, 9, 10, 0, tzinfo=ZoneInfo("America/New_York"))
LAUNCH_SETTING = "launch_at"
STATUSES = ("todo", "doing", "done", "n/a")
DECISIONS = ("go", "no_go", "rollback")
OPS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    "<": operator.lt,
    "<=": operator.le,
    ">=": operator.ge,
}


# ---------------------------------------------------------------- launch time


def launch_at(store: Store) -> datetime:
    with store.session() as s:
        row = s.get(LaunchSetting, LAUNCH_SETTING)
    return datetime.fromisoformat(row.value) if row else PLAN_LAUNCH.astimezone(UTC)


def set_launch_at(store: Store, actor: Principal, when: datetime) -> None:
    audit.guard(store, actor, Permission.launch_configure, "launch.set_date")
    if when.tzinfo is None:
        raise InputError("the launch time needs a timezone")
    before = launch_at(store)
    with store.session() as s:
        s.merge(LaunchSetting(key=LAUNCH_SETTING, value=when.astimezone(UTC).isoformat()))
        audit.record(
            s,
            actor,
            "launch.set_date",
            None,
            before={"launch_at": before},
            after={"launch_at": when.astimezone(UTC)},
        )


# ---------------------------------------------------------------- checklist


def seed_checklist(store: Store) -> int:
    """Insert the plan's checklist once (never again once any item exists); rows added."""
    with store.session() as s:
        if s.scalar(select(func.count()).select_from(ChecklistItem)):
            return 0
        now = utcnow()
        for n, (phase, section, text, offset, check) in enumerate(ITEMS):
            s.add(
                ChecklistItem(
                    key=f"{PHASES.index(phase) + 1}.{n + 1:03d}",
                    phase=phase,
                    section=section,
                    position=n,
                    text=text,
                    due_offset_hours=offset,
                    status="todo",
                    owner="",
                    notes="",
                    evidence="",
                    check=check,
                    updated_at=now,
                )
            )
    return len(ITEMS)


def parse_offset(text: str) -> float:
    """'-24h', '+2h', '-7d', '30m' → hours relative to the launch."""
    t = text.strip().lower()
    units = {"m": 1 / 60, "h": 1.0, "d": 24.0, "w": 168.0}
    try:
        return float(t[:-1]) * units[t[-1]] if t and t[-1] in units else float(t)
    except ValueError:
        raise InputError(f"not an offset from the launch: {text!r} (e.g. -24h, +2h, -7d)") from None


def checklist(store: Store, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """Every item with its due time, overdue flag and live evidence (seeding first)."""
    seed_checklist(store)
    now = now or utcnow()
    launch = launch_at(store)
    checks = live_checks(store, now=now)
    with store.session() as s:
        items = list(s.scalars(select(ChecklistItem).order_by(ChecklistItem.position)))
    out = []
    for i in items:
        due = launch + timedelta(hours=i.due_offset_hours)
        live = checks.get(i.check) if i.check else None
        out.append(
            {
                "key": i.key,
                "phase": i.phase,
                "section": i.section,
                "text": i.text,
                "status": i.status,
                "owner": i.owner,
                "due_at": due,
                "overdue": due <= now and i.status not in ("done", "n/a"),
                "notes": i.notes,
                "evidence": i.evidence,
                "live_ok": None if live is None else live[0],
                "live_evidence": None if live is None else live[1],
            }
        )
    return out


def update_item(
    store: Store,
    actor: Principal,
    key: str,
    *,
    status: str | None = None,
    owner: str | None = None,
    due: str | None = None,
    notes: str | None = None,
    evidence: str | None = None,
) -> None:
    audit.guard(store, actor, Permission.checklist_edit, "checklist.edit", key)
    seed_checklist(store)
    if status is not None and status not in STATUSES:
        raise InputError(f"status must be one of {', '.join(STATUSES)}")
    with store.session() as s:
        item = s.scalar(select(ChecklistItem).where(ChecklistItem.key == key))
        if item is None:
            raise InputError(f"no checklist item {key!r}: see `hub launch checklist`")
        fields = ("status", "owner", "due_offset_hours", "notes", "evidence")
        before = {f: getattr(item, f) for f in fields}
        if status is not None:
            item.status = status
        if owner is not None:
            item.owner = owner
        if due is not None:
            item.due_offset_hours = parse_offset(due)
        if notes is not None:
            item.notes = notes
        if evidence is not None:
            item.evidence = evidence
        after = {f: getattr(item, f) for f in fields}
        changed = [f for f in fields if before[f] != after[f]]
        audit.record(
            s,
            actor,
            "checklist.edit",
            f"{key} {item.text[:200]}",
            before={f: before[f] for f in changed},
            after={f: after[f] for f in changed},
        )
        item.updated_at = utcnow()


def checklist_progress(items: list[dict[str, Any]]) -> dict[str, Any]:
    """done / total overall and by phase; items marked n/a are left out of the total."""
    by_phase: dict[str, dict[str, int]] = {p: {"done": 0, "total": 0} for p in PHASES}
    for i in items:
        if i["status"] == "n/a":
            continue
        entry = by_phase.setdefault(i["phase"], {"done": 0, "total": 0})
        entry["total"] += 1
        entry["done"] += i["status"] == "done"
    return {
        "done": sum(p["done"] for p in by_phase.values()),
        "total": sum(p["total"] for p in by_phase.values()),
        "by_phase": by_phase,
    }


def live_checks(store: Store, *, now: datetime | None = None) -> dict[str, tuple[bool, str]]:
    """What the hub can check itself: (ok, evidence) per check key."""
    from engine.launch.alerts import alerting_tested
    from engine.reliability.kpis import request_stats
    from engine.reliability.probes import list_probes

    now = now or utcnow()
    out: dict[str, tuple[bool, str]] = {}
    probes = [p for p in list_probes(store) if p.configured]
    out["probes"] = (bool(probes), f"{len(probes)} probe(s) configured")
    down = [p.name for p in probes if p.last_ok is not True]
    out["probes_green"] = (
        bool(probes) and not down,
        "no probes configured"
        if not probes
        else ("all probes up" if not down else f"not up: {', '.join(down)}"),
    )
    tested = alerting_tested(store)
    out["alerting_tested"] = (
        tested is not None,
        f"test alert delivered {tested:%Y-%m-%d %H:%M} UTC"
        if tested
        else "no test alert delivered yet: `hub alert test`",
    )
    with store.session() as s:
        rules = s.scalar(select(func.count()).select_from(AlertRule)) or 0
        deploys = s.scalar(select(func.max(Annotation.at)).where(Annotation.kind == "deploy"))
    out["alert_rules"] = (rules > 0, f"{rules} alert rule(s)")
    out["deploy_marker"] = (
        deploys is not None,
        f"last deploy marker {deploys:%Y-%m-%d %H:%M} UTC"
        if deploys
        else "no deploy recorded: `hub annotate`",
    )
    try:
        store.ping()
        out["database"] = (True, "database reachable")
    except HubError as exc:
        out["database"] = (False, str(exc))
    stats = request_stats(store, now - timedelta(hours=1), now)
    rate = stats.error_rate
    out["error_rate"] = (
        rate is not None and rate < 0.001,
        "no requests in the last hour"
        if rate is None
        else f"error rate {rate:.3%} over {stats.requests:,} requests in the last hour",
    )
    out["incident_log"] = (True, "incident log: `hub incident open|note|resolve`")
    return out


# ---------------------------------------------------------------- criteria


@dataclass(frozen=True)
class Criterion:
    key: str
    name: str
    op: str
    threshold: float
    hours: float | None  # window from the launch, or None (a count of incidents)
    pending_until_done: bool = False


SUCCESS: tuple[Criterion, ...] = (
    Criterion("uptime_24h", "Uptime over the first 24 h", ">", 0.999, 24),
    Criterion("error_rate_24h", "Error rate over the first 24 h", "<", 0.001, 24),
    Criterion("latency_p95_24h", "API p95 over the first 24 h (ms)", "<", 500.0, 24),
    Criterion("open_sev1", "Open SEV1 incidents", "<=", 0, None),
    Criterion("data_loss_incidents", "Data-loss incidents since launch", "<=", 0, None),
    Criterion("active_users_1w", "Active users in week 1", ">", 500, 168, True),
    Criterion("critical_incidents_1w", "SEV1 incidents in week 1", "<=", 0, 168),
    Criterion("uptime_1m", "Uptime over the first month", ">", 0.9995, 720),
)
ROLLBACK: tuple[Criterion, ...] = (
    Criterion("error_rate_5m", "Error rate over the last 5 minutes", ">", 0.5, None),
    Criterion("unavailable_seconds", "Current unavailability (seconds)", ">", 300, None),
    Criterion("database_connectivity", "Database connectivity lost", ">=", 1, None),
    Criterion("data_corruption_incident", "Open data-corruption incidents", ">=", 1, None),
    Criterion("security_breach_incident", "Open security-breach incidents", ">=", 1, None),
)
CRITERIA = {c.key: c for c in (*SUCCESS, *ROLLBACK)}


def thresholds(store: Store) -> dict[str, float]:
    with store.session() as s:
        edited = {r.key: r.threshold for r in s.scalars(select(CriterionSetting))}
    return {k: edited.get(k, c.threshold) for k, c in CRITERIA.items()}


def set_threshold(store: Store, actor: Principal, key: str, value: float) -> None:
    audit.guard(store, actor, Permission.launch_configure, "launch.set_threshold", key)
    if key not in CRITERIA:
        raise InputError(f"no criterion {key!r}: one of {', '.join(CRITERIA)}")
    before = thresholds(store)[key]
    with store.session() as s:
        s.merge(CriterionSetting(key=key, threshold=value, updated_at=utcnow()))
        audit.record(
            s, actor, "launch.set_threshold", key, before={key: before}, after={key: value}
        )


def _count_incidents(store: Store, *where: Any) -> int:
    with store.session() as s:
        return int(s.scalar(select(func.count()).select_from(Incident).where(*where)) or 0)


def _active_users(store: Store, start: datetime, end: datetime) -> tuple[float | None, str]:
    try:
        from engine.config import get_settings
        from engine.periods import Period
        from engine.product.kpis import has_events, product_summary

        with store.session() as s:
            if not has_events(s):
                return None, "no product events: import them with `hub import events FILE`"
        tz = get_settings().tz
        first = start.astimezone(tz).date()
        last = (end - timedelta(microseconds=1)).astimezone(tz).date()
        value = product_summary(store, Period.from_days(first, last, tz))["active_users"]
    except Exception as exc:  # no product analytics or no events: undefined, not 0
        return None, f"active users unavailable ({type(exc).__name__})"
    return float(value), f"distinct active users {first} – {last} (product analytics)"


def _current_outage_seconds(store: Store, now: datetime) -> tuple[float | None, str]:
    from engine.reliability.kpis import uptime_report
    from engine.reliability.timeline import DOWN

    report = uptime_report(store, now - timedelta(days=1), now, now=now)
    if not report.system_targets:
        return None, "no probes: unavailability is not measured"
    if report.system and report.system[-1].state == DOWN and report.system[-1].end >= report.end:
        seconds = (report.system[-1].end - report.system[-1].start).total_seconds()
        return seconds, f"system down since {report.system[-1].start:%Y-%m-%d %H:%M:%S} UTC"
    return 0.0, "system not down now"


def _window_value(
    store: Store, key: str, start: datetime, end: datetime
) -> tuple[float | None, str]:
    from engine.reliability.kpis import request_stats, uptime_report
    from engine.reliability.timeline import seconds_by_state, uptime

    source = f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M} UTC"
    if key.startswith("uptime"):
        report = uptime_report(store, start, end, now=end)
        return uptime(seconds_by_state(report.system, report.start, report.end)), (
            f"system uptime from probes, {source}"
        )
    if key == "error_rate_24h" or key == "latency_p95_24h":
        stats = request_stats(store, start, end)
        value = stats.error_rate if key == "error_rate_24h" else stats.p95
        return value, f"{stats.requests:,} requests, {source}"
    if key == "active_users_1w":
        return _active_users(store, start, end)
    if key == "critical_incidents_1w":
        n = _count_incidents(
            store,
            Incident.severity == "SEV1",
            Incident.started_at >= start,
            Incident.started_at < end,
        )
        return float(n), f"SEV1 incidents started {source}"
    raise AssertionError(key)


def evaluate_criteria(
    store: Store, *, now: datetime | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(success criteria, rollback criteria), each {name, value, threshold, passed|met, …}."""
    now = now or utcnow()
    try:
        store.ping()
    except HubError as exc:
        return _unreachable_criteria(str(exc))
    limits = thresholds(store)
    launch = launch_at(store)
    success = []
    for c in SUCCESS:
        if c.key == "open_sev1":
            value: float | None = float(
                _count_incidents(store, Incident.severity == "SEV1", Incident.resolved_at.is_(None))
            )
            source, pending = "incidents not resolved", False
        elif c.key == "data_loss_incidents":
            value = float(
                _count_incidents(
                    store,
                    Incident.category == "data_loss",
                    (Incident.resolved_at.is_(None)) | (Incident.resolved_at >= launch),
                )
            )
            source, pending = "incidents with category data_loss since the launch", False
        else:
            assert c.hours is not None
            end = launch + timedelta(hours=c.hours)
            if now <= launch:
                value, source = None, f"launch at {launch:%Y-%m-%d %H:%M} UTC not reached"
            else:
                value, source = _window_value(store, c.key, launch, min(end, now))
            pending = c.pending_until_done and now < end
        success.append(_row(c, value, limits[c.key], source, "passed", pending))
    rollback = []
    for c in ROLLBACK:
        if c.key == "error_rate_5m":
            from engine.reliability.kpis import request_stats

            stats = request_stats(store, now - timedelta(minutes=5), now)
            value, source = stats.error_rate, f"{stats.requests:,} requests in the last 5 minutes"
        elif c.key == "unavailable_seconds":
            value, source = _current_outage_seconds(store, now)
        elif c.key == "database_connectivity":
            value, source = 0.0, "database reachable"
        else:
            category = c.key.removesuffix("_incident")
            value = float(
                _count_incidents(
                    store, Incident.category == category, Incident.resolved_at.is_(None)
                )
            )
            source = f"open incidents with category {category}"
        rollback.append(_row(c, value, limits[c.key], source, "met"))
    return success, rollback


def _unreachable_criteria(why: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The criteria when the store cannot be reached: "database connectivity lost" is met
    (its source says why); nothing else can be measured (edited thresholds included)."""
    rollback = [
        _row(c, 1.0, c.threshold, why, "met")
        if c.key == "database_connectivity"
        else _row(c, None, c.threshold, "not measured: database unreachable", "met")
        for c in ROLLBACK
    ]
    success = [_row(c, None, c.threshold, "database unreachable", "passed") for c in SUCCESS]
    return success, rollback


def _row(
    c: Criterion,
    value: float | None,
    threshold: float,
    source: str,
    flag: str,
    pending: bool = False,
) -> dict[str, Any]:
    outcome = None if value is None or pending else OPS[c.op](value, threshold)
    if flag == "met" and outcome is None:
        outcome = False  # an unmeasured rollback rule is not met (its source says why)
    return {
        "key": c.key,
        "name": c.name,
        "value": value,
        "threshold": threshold,
        "op": c.op,
        flag: outcome,
        "source": source,
    }


def suggest(
    success: list[dict[str, Any]], rollback: list[dict[str, Any]], items: list[dict[str, Any]]
) -> tuple[str, list[str]]:
    met = [r for r in rollback if r["met"]]
    if met:
        return "rollback", [
            f"{r['name']}: {r['source']}"
            if r["key"] == "database_connectivity"
            else f"{r['name']}: {r['value']:g} {r['op']} {r['threshold']:g}"
            for r in met
        ]
    reasons = [
        f"{r['name']}: {r['value']:g} (needs {r['op']} {r['threshold']:g})"
        for r in success
        if r["passed"] is False
    ]
    overdue = [i for i in items if i["overdue"]]
    if overdue:
        reasons.append(f"{len(overdue)} checklist item(s) overdue")
    return ("no_go" if reasons else "go"), reasons


def launch_status(
    store: Store, *, now: datetime | None = None, details: bool = False
) -> dict[str, Any]:
    """The JSON of `hub launch status --json` (with `details`: reasons, items, launch time).

    When the store cannot be reached (before or during the evaluation) this still answers:
    ROLLBACK for "database connectivity lost", other criteria unmeasured, checklist counts
    null, and with `details` `store_reachable: false`.
    """
    now = now or utcnow()
    lost: str | None = None
    try:
        store.ping()
    except HubError as exc:
        lost = str(exc)
    if lost is None:
        try:
            success, rollback = evaluate_criteria(store, now=now)
            items = checklist(store, now=now)
            launch: datetime | None = launch_at(store)
        except DBAPIError:
            try:
                store.ping()
            except HubError as exc:  # lost during the evaluation
                lost = str(exc)
            else:
                raise
    reachable = lost is None
    if lost is not None:
        success, rollback = _unreachable_criteria(lost)
        items, launch = [], None
    decision, reasons = suggest(success, rollback, items)
    progress = (
        checklist_progress(items) if reachable else {"done": None, "total": None, "by_phase": {}}
    )
    out: dict[str, Any] = {
        "decision_suggested": decision,
        "success_criteria": [
            {k: r[k] for k in ("name", "value", "threshold", "passed")} for r in success
        ],
        "rollback_criteria": [
            {k: r[k] for k in ("name", "value", "threshold", "met")} for r in rollback
        ],
        "checklist": progress,
    }
    if details:
        out |= {
            "reasons": reasons,
            "store_reachable": reachable,
            "launch_at": launch.isoformat() if launch else None,
            "evaluated_at": now.isoformat(),
            "success_details": success,
            "rollback_details": rollback,
        }
    return out


# ---------------------------------------------------------------- decisions


def record_decision(
    store: Store, actor: Principal, decision: str, *, note: str = "", now: datetime | None = None
) -> dict[str, Any]:
    """Record a go/no-go decision with a frozen snapshot of every criterion (append-only);
    the decision, with its snapshot, is also kept in the audit trail."""
    audit.guard(store, actor, Permission.launch_decide, "launch.decide", decision)
    decision = decision.lower().replace("-", "_")
    if decision not in DECISIONS:
        raise InputError("decision must be go, no_go or rollback")
    decided_by = actor.name
    now = now or utcnow()
    snapshot = launch_status(store, now=now, details=True)
    row = LaunchDecision(
        decision=decision,
        decided_by=decided_by.strip(),
        decided_at=now,
        note=note,
        snapshot=json.dumps(snapshot, default=str, sort_keys=True),
    )
    with store.session() as s:
        s.add(row)
        s.flush()
        audit.record(
            s,
            actor,
            "launch.decide",
            decision,
            after={"decision": decision, "snapshot": snapshot},
            detail=note or None,
        )
        return decision_dict(row)


def decision_dict(d: LaunchDecision) -> dict[str, Any]:
    return {
        "id": d.id,
        "decision": d.decision,
        "decided_by": d.decided_by,
        "decided_at": d.decided_at.isoformat(),
        "note": d.note,
        "snapshot": json.loads(d.snapshot),
    }


def list_decisions(store: Store) -> list[dict[str, Any]]:
    with store.session() as s:
        rows = s.scalars(select(LaunchDecision).order_by(LaunchDecision.decided_at.desc()))
        return [decision_dict(d) for d in rows]


# ---------------------------------------------------------------- report


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def launch_report_markdown(store: Store, *, now: datetime | None = None) -> str:
    from engine.launch.incidents import list_incidents

    status = launch_status(store, now=now, details=True)
    lines = [
        "# Launch report",
        "",
        f"Launch: {status['launch_at']} · evaluated {status['evaluated_at']}",
        "",
        f"**Suggested decision: {status['decision_suggested'].upper()}**",
        "",
    ]
    lines += [f"- {r}" for r in status["reasons"]]
    lines += ["", "## Success criteria", "", "| criterion | value | threshold | passed | source |"]
    lines.append("|---|---|---|---|---|")
    for r in status["success_details"]:
        lines.append(
            f"| {r['name']} | {_fmt(r['value'])} | {r['op']} {_fmt(r['threshold'])} | "
            f"{_fmt(r['passed'])} | {r['source']} |"
        )
    lines += ["", "## Rollback criteria", "", "| criterion | value | threshold | met | source |"]
    lines.append("|---|---|---|---|---|")
    for r in status["rollback_details"]:
        lines.append(
            f"| {r['name']} | {_fmt(r['value'])} | {r['op']} {_fmt(r['threshold'])} | "
            f"{_fmt(r['met'])} | {r['source']} |"
        )
    progress = status["checklist"]
    lines += ["", f"## Checklist ({progress['done']}/{progress['total']} done)", ""]
    phase = None
    for i in checklist(store, now=now):
        if i["phase"] != phase:
            phase = i["phase"]
            lines += ["", f"### {phase}", ""]
        box = "x" if i["status"] == "done" else ("-" if i["status"] == "n/a" else " ")
        extra = f" — {i['owner']}" if i["owner"] else ""
        lines.append(f"- [{box}] {i['text']}{extra} (due {i['due_at']:%Y-%m-%d %H:%M} UTC)")
    lines += ["", "## Incidents", ""]
    incidents = list_incidents(store)
    lines += [
        f"- #{x['id']} {x['severity']} {x['title']} ({x['status']}, started {x['started_at']})"
        for x in incidents
    ] or ["No incidents."]
    lines += ["", "## Decisions", ""]
    lines += [
        f"- {d['decided_at']}: **{d['decision'].upper()}** by {d['decided_by']} {d['note']}"
        for d in list_decisions(store)
    ] or ["No decision recorded yet."]
    return "\n".join(lines) + "\n"


def launch_report_html(store: Store, *, now: datetime | None = None) -> str:
    """The Markdown report as a printable, self-contained HTML page."""
    body = []
    in_table = False
    for line in launch_report_markdown(store, now=now).splitlines():
        if line.startswith("|"):
            cells = [html.escape(c.strip()) for c in line.strip("|").split("|")]
            if set("".join(cells)) <= {"-"}:
                continue
            if not in_table:
                body.append("<table>")
                in_table = True
            body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
            continue
        if in_table:
            body.append("</table>")
            in_table = False
        text = html.escape(line).replace("**", "")
        if line.startswith("### "):
            body.append(f"<h3>{text[4:]}</h3>")
        elif line.startswith("## "):
            body.append(f"<h2>{text[3:]}</h2>")
        elif line.startswith("# "):
            body.append(f"<h1>{text[2:]}</h1>")
        elif line.startswith("- "):
            body.append(f"<p>• {text[2:]}</p>")
        elif line:
            body.append(f"<p>{text}</p>")
    if in_table:
        body.append("</table>")
    style = (
        "body{font-family:sans-serif;max-width:60em;margin:2em auto}"
        "table{border-collapse:collapse}td{border:1px solid #999;padding:2px 6px}"
        "@media print{body{margin:0}}"
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>Launch report</title>"
        f"<style>{style}</style></head><body>{''.join(body)}</body></html>"
    )
