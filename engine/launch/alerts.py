"""Alert rules, their evaluation, and notifications to Slack and a generic JSON webhook.

A rule is either `metric op threshold` over the last `window` (any reliability KPI) or a
burn-rate rule on an SLO (`kind="burn"`, fires at its severity per `engine.launch.slo`).
The worker evaluates every enabled rule; a notification goes out once when a rule starts
firing and once when it resolves — never again while it keeps firing. The transition is
decided under a row lock, so several workers never notify twice. Each delivery is retried
with exponential backoff (honouring Retry-After on 429) and every attempt is recorded.
"""

from __future__ import annotations

import contextlib
import logging
import operator
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import delete, func, select

from engine.access import audit
from engine.access.principal import Principal
from engine.access.roles import Permission
from engine.config import get_settings
from engine.errors import InputError
from engine.launch.models import AlertEvent, AlertNotification, AlertRule, Incident, LaunchSetting
from engine.launch.slo import allowed_error_rate, burn_rates, classify, get_slo, request_error_rate
from engine.store import Store
from engine.store.base import utcnow

log = logging.getLogger(__name__)

METRICS = {
    "error_rate": "requests with status ≥ 500 ÷ all requests in the window",
    "requests": "requests in the window",
    "latency_p50_ms": "API latency p50 (ms)",
    "latency_p95_ms": "API latency p95 (ms)",
    "latency_p99_ms": "API latency p99 (ms)",
    "uptime": "system uptime in the window (fraction)",
    "downtime_seconds": "system down time in the window (seconds)",
    "probe_latency_p95_ms": "p95 latency of successful checks of critical targets (ms)",
    "open_incidents": "incidents not yet resolved",
}
OPS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}
SEVERITIES = ("page", "ticket", "info")
WEBHOOK_SETTING = "alert_webhook_url"
TIMEOUT = 10.0


def parse_duration(text: str) -> int:
    """'90s', '5m', '1h', '3d' or plain seconds → seconds."""
    text = text.strip().lower()
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    try:
        value = float(text[:-1]) * units[text[-1]] if text and text[-1] in units else float(text)
    except ValueError:
        raise InputError(f"not a duration: {text!r} (use 30s, 5m, 1h, 3d)") from None
    if value <= 0:
        raise InputError(f"a duration must be positive: {text!r}")
    return int(value)


# ---------------------------------------------------------------- rules


def rule_dict(r: AlertRule) -> dict[str, Any]:
    return {
        "name": r.name,
        "kind": r.kind,
        "metric": r.metric,
        "op": r.op,
        "threshold": r.threshold,
        "window_seconds": r.window_seconds,
        "severity": r.severity,
        "webhook_url": r.webhook_url,
        "enabled": r.enabled,
        "firing": r.firing,
        "firing_since": r.firing_since.isoformat() if r.firing_since else None,
        "last_value": r.last_value,
    }


def add_rule(
    store: Store,
    actor: Principal,
    name: str,
    *,
    metric: str | None = None,
    op: str = ">",
    threshold: float | None = None,
    window: str = "5m",
    severity: str = "ticket",
    burn_slo: str | None = None,
    webhook_url: str | None = None,
) -> dict[str, Any]:
    """A KPI rule (metric, op, threshold, window) or a burn-rate rule on `burn_slo`."""
    audit.guard(store, actor, Permission.alert_manage, "alert.add_rule", name)
    if severity not in SEVERITIES:
        raise InputError(f"severity must be one of {', '.join(SEVERITIES)}")
    if burn_slo:
        slo = get_slo(store, burn_slo)
        allowed_error_rate(slo)  # raises for SLOs without an error budget
        if severity not in ("page", "ticket"):
            raise InputError("a burn-rate rule's severity is page or ticket")
        rule = AlertRule(
            name=name, kind="burn", metric=slo.name, op=">", threshold=0.0, window_seconds=0
        )
    else:
        if metric not in METRICS:
            raise InputError(f"metric must be one of {', '.join(METRICS)}")
        if op not in OPS:
            raise InputError(f"op must be one of {' '.join(OPS)}")
        if threshold is None:
            raise InputError("a KPI rule needs --threshold")
        rule = AlertRule(
            name=name,
            kind="kpi",
            metric=metric,
            op=op,
            threshold=threshold,
            window_seconds=parse_duration(window),
        )
    rule.severity = severity
    rule.webhook_url = webhook_url
    rule.enabled = True
    rule.firing = False
    with store.session() as s:
        if s.scalar(select(AlertRule.id).where(AlertRule.name == name)) is not None:
            raise InputError(f"an alert rule named {name!r} exists: remove it first")
        s.add(rule)
        s.flush()
        out = rule_dict(rule)
        audit.record(s, actor, "alert.add_rule", name, after=out)
        return out


def list_rules(store: Store) -> list[dict[str, Any]]:
    with store.session() as s:
        return [rule_dict(r) for r in s.scalars(select(AlertRule).order_by(AlertRule.name))]


def update_rule(
    store: Store,
    actor: Principal,
    name: str,
    *,
    op: str | None = None,
    threshold: float | None = None,
    window: str | None = None,
    severity: str | None = None,
    enabled: bool | None = None,
) -> dict[str, Any]:
    """Change a rule in place (None leaves a field as it is); its firing state is kept."""
    audit.guard(store, actor, Permission.alert_manage, "alert.update_rule", name)
    with store.session() as s:
        rule = s.scalar(select(AlertRule).where(AlertRule.name == name))
        if rule is None:
            raise InputError(f"no alert rule named {name!r}")
        before = rule_dict(rule)
        if severity is not None:
            allowed = ("page", "ticket") if rule.kind == "burn" else SEVERITIES
            if severity not in allowed:
                raise InputError(f"severity must be one of {', '.join(allowed)}")
            rule.severity = severity
        if rule.kind == "burn" and (op, threshold, window) != (None, None, None):
            raise InputError("a burn-rate rule has no op, threshold or window to change")
        if op is not None:
            if op not in OPS:
                raise InputError(f"op must be one of {' '.join(OPS)}")
            rule.op = op
        if threshold is not None:
            rule.threshold = threshold
        if window is not None:
            rule.window_seconds = parse_duration(window)
        if enabled is not None:
            rule.enabled = enabled
        after = rule_dict(rule)
        changed = [k for k in after if before.get(k) != after[k]]
        audit.record(
            s,
            actor,
            "alert.update_rule",
            name,
            before={k: before.get(k) for k in changed},
            after={k: after[k] for k in changed},
        )
        return after


def remove_rule(store: Store, actor: Principal, name: str) -> None:
    audit.guard(store, actor, Permission.alert_manage, "alert.remove_rule", name)

    with store.session() as s:
        rule = s.scalar(select(AlertRule).where(AlertRule.name == name))
        if rule is None:
            raise InputError(f"no alert rule named {name!r}")
        audit.record(s, actor, "alert.remove_rule", name, before=rule_dict(rule))
        s.execute(delete(AlertRule).where(AlertRule.name == name))


def set_default_webhook(store: Store, actor: Principal, url: str | None) -> None:
    audit.guard(store, actor, Permission.alert_manage, "alert.set_webhook")
    with store.session() as s:
        row = s.get(LaunchSetting, WEBHOOK_SETTING)
        # The URL is a credential (whoever has it can post): the audit keeps only whether
        # one was set.
        audit.record(
            s,
            actor,
            "alert.set_webhook",
            None,
            before={"webhook_set": row is not None},
            after={"webhook_set": url is not None},
        )
        if url is None:
            if row is not None:
                s.delete(row)
            return
        if not url.startswith(("http://", "https://")):
            raise InputError("the webhook URL must start with http:// or https://")
        s.merge(LaunchSetting(key=WEBHOOK_SETTING, value=url))


def default_webhook(store: Store) -> str | None:
    with store.session() as s:
        row = s.get(LaunchSetting, WEBHOOK_SETTING)
        return row.value if row else None


# ---------------------------------------------------------------- values


def metric_value(store: Store, metric: str, window_seconds: int, now: datetime) -> float | None:
    """The metric over [now − window, now); None when undefined (no requests, no probes)."""
    from engine.reliability.kpis import probe_latency_p95, request_stats, uptime_report
    from engine.reliability.timeline import DOWN, seconds_by_state, uptime

    start = now - timedelta(seconds=window_seconds)
    if metric == "open_incidents":
        with store.session() as s:
            return float(s.scalar(select(func.count()).where(Incident.resolved_at.is_(None))) or 0)
    if metric in ("uptime", "downtime_seconds"):
        report = uptime_report(store, start, now, now=now)
        if not report.system_targets:
            return None
        sec = seconds_by_state(report.system, report.start, report.end)
        return uptime(sec) if metric == "uptime" else sec[DOWN]
    if metric == "probe_latency_p95_ms":
        return probe_latency_p95(store, start, now)
    stats = request_stats(store, start, now)
    if metric == "requests":
        return float(stats.requests)
    if metric == "error_rate":
        return stats.error_rate
    return {"latency_p50_ms": stats.p50, "latency_p95_ms": stats.p95, "latency_p99_ms": stats.p99}[
        metric
    ]


@dataclass(frozen=True)
class Verdict:
    breaching: bool
    value: float | None
    message: str


def judge(store: Store, rule: AlertRule, now: datetime) -> Verdict:
    if rule.kind == "burn":
        slo = get_slo(store, rule.metric)
        burns = burn_rates(allowed_error_rate(slo), request_error_rate(store), now)
        severity, held = classify(burns)
        breaching = severity == "page" or (severity == "ticket" and rule.severity == "ticket")
        value = burns["1h" if rule.severity == "page" else "3d"]
        shown = ", ".join(f"{k} {v:.1f}" for k, v in burns.items() if v is not None) or "no data"
        why = "; ".join(held) if held else "no burn-rate rule holds"
        return Verdict(breaching, value, f"SLO {slo.name} burn rate ({shown}): {why}")
    value = metric_value(store, rule.metric, rule.window_seconds, now)
    breaching = value is not None and OPS[rule.op](value, rule.threshold)
    shown = "no data" if value is None else f"{value:.6g}"
    return Verdict(
        breaching,
        value,
        f"{rule.metric} over {rule.window_seconds}s = {shown} (alert when {rule.op} "
        f"{rule.threshold:g})",
    )


# ---------------------------------------------------------------- delivery


@dataclass(frozen=True)
class Event:
    id: int
    rule: str
    event: str
    severity: str
    value: float | None
    message: str
    at: datetime
    webhook_url: str | None = None

    def payload(self) -> dict[str, Any]:
        return {
            "source": "hub",
            "rule": self.rule,
            "event": self.event,
            "severity": self.severity,
            "value": self.value,
            "message": self.message,
            "at": self.at.isoformat(),
        }

    def slack_text(self) -> str:
        icon = {"fire": "🔴", "resolve": "✅", "test": "🧪"}.get(self.event, "•")
        word = {"fire": "FIRING", "resolve": "RESOLVED", "test": "TEST"}.get(self.event, "")
        return f"{icon} [{word}] {self.rule} ({self.severity}): {self.message}"


class Notifier:
    """Sends events to Slack (HUB_SLACK_WEBHOOK_URL) and/or a JSON webhook, with retries."""

    def __init__(
        self,
        store: Store,
        *,
        transport: httpx.BaseTransport | None = None,
        attempts: int = 4,
        backoff: float = 1.0,
        max_wait: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.store = store
        self.transport = transport
        self.attempts = attempts
        self.backoff = backoff
        self.max_wait = max_wait
        self.sleep = sleep

    def channels(self, event: Event) -> list[tuple[str, str, dict[str, Any]]]:
        out = []
        slack = get_settings().slack_webhook_url
        if slack is not None and slack.get_secret_value():
            out.append(("slack", slack.get_secret_value(), {"text": event.slack_text()}))
        webhook = event.webhook_url or default_webhook(self.store)
        if webhook:
            out.append(("webhook", webhook, event.payload()))
        return out

    def configured(self) -> list[str]:
        """The channels an alert would go to now (the generic webhook unless a rule's own)."""
        probe = Event(0, "", "test", "info", None, "", utcnow())
        return [channel for channel, _url, _body in self.channels(probe)]

    def deliver(self, event: Event) -> dict[str, bool]:
        """{channel: delivered} for every configured channel; each attempt is recorded."""
        results = {}
        with httpx.Client(transport=self.transport, timeout=TIMEOUT) as client:
            for channel, url, body in self.channels(event):
                results[channel] = self._send(client, event, channel, url, body)
        return results

    def _send(
        self, client: httpx.Client, event: Event, channel: str, url: str, body: dict[str, Any]
    ) -> bool:
        for attempt in range(1, self.attempts + 1):
            status: int | None = None
            error: str | None = None
            wait = self.backoff * 2 ** (attempt - 1)
            try:
                response = client.post(url, json=body)
                status = response.status_code
                if response.is_success:
                    self._record(event, channel, attempt, True, status, None)
                    return True
                error = f"HTTP {status}: {response.text[:200]}"
                retry_after = response.headers.get("retry-after")
                if status == 429 and retry_after:
                    with contextlib.suppress(ValueError):
                        wait = float(retry_after)
                retryable = status == 429 or status >= 500
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"[:300]
                retryable = True
            self._record(event, channel, attempt, False, status, error)
            if not retryable or attempt == self.attempts:
                log.warning("alert %s to %s not delivered: %s", event.rule, channel, error)
                return False
            self.sleep(min(wait, self.max_wait))
        return False

    def _record(
        self,
        event: Event,
        channel: str,
        attempt: int,
        ok: bool,
        status: int | None,
        error: str | None,
    ) -> None:
        with self.store.session() as s:
            s.add(
                AlertNotification(
                    event_id=event.id,
                    channel=channel,
                    attempt=attempt,
                    ok=ok,
                    status_code=status,
                    error=error,
                    at=utcnow(),
                )
            )


# ---------------------------------------------------------------- evaluation


def evaluate(
    store: Store, *, now: datetime | None = None, notifier: Notifier | None = None
) -> list[Event]:
    """Evaluate every enabled rule; notify (once) the rules that fired or resolved."""
    now = now or utcnow()
    notifier = notifier or Notifier(store)
    with store.session() as s:
        names = list(s.scalars(select(AlertRule.name).where(AlertRule.enabled.is_(True))))
    events = []
    for name in names:
        try:
            event = _evaluate_one(store, name, now)
        except Exception:
            log.exception("alert rule %s could not be evaluated", name)
            continue
        if event is not None:
            events.append(event)
    for event in events:
        notifier.deliver(event)
    return events


def _evaluate_one(store: Store, name: str, now: datetime) -> Event | None:
    with store.session() as s:
        rule = s.scalar(select(AlertRule).where(AlertRule.name == name))
        if rule is None:
            return None
        verdict = judge(store, rule, now)
        # Lock the row and re-read the state: only one evaluator records a transition.
        rule = s.scalar(
            select(AlertRule)
            .where(AlertRule.name == name)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if rule is None:
            return None
        rule.last_value = verdict.value
        rule.last_evaluated_at = now
        if verdict.breaching == rule.firing:
            return None
        rule.firing = verdict.breaching
        rule.firing_since = now if verdict.breaching else None
        row = AlertEvent(
            rule_name=rule.name,
            event="fire" if verdict.breaching else "resolve",
            severity=rule.severity,
            value=verdict.value,
            message=verdict.message,
            at=now,
        )
        s.add(row)
        s.flush()
        return Event(
            row.id,
            row.rule_name,
            row.event,
            row.severity,
            row.value,
            row.message,
            now,
            rule.webhook_url,
        )


def send_test(
    store: Store,
    actor: Principal,
    *,
    notifier: Notifier | None = None,
    webhook_url: str | None = None,
) -> dict[str, bool]:
    """Send a test alert to every configured channel (evidence that alerting works)."""
    audit.guard(store, actor, Permission.alert_manage, "alert.test")
    notifier = notifier or Notifier(store)
    now = utcnow()
    with store.session() as s:
        row = AlertEvent(
            rule_name="test",
            event="test",
            severity="info",
            value=None,
            message="Test alert from the hub: if you can read this, alerting works.",
            at=now,
        )
        s.add(row)
        s.flush()
        event = Event(row.id, "test", "test", "info", None, row.message, now, webhook_url)
        audit.record(s, actor, "alert.test", None, detail="test alert sent to every channel")
    if not notifier.channels(event):
        raise InputError(
            "no alert channel configured: set HUB_SLACK_WEBHOOK_URL or "
            "`hub alert webhook URL` (or pass --webhook URL)"
        )
    return notifier.deliver(event)


def alerting_tested(store: Store) -> datetime | None:
    """When a test alert was last delivered to a channel (None if never)."""
    with store.session() as s:
        return s.scalar(
            select(func.max(AlertNotification.at))
            .join(AlertEvent, AlertEvent.id == AlertNotification.event_id)
            .where(AlertEvent.event == "test", AlertNotification.ok.is_(True))
        )


def history(store: Store, limit: int = 200) -> list[dict[str, Any]]:
    """Recent alert events with how their deliveries went."""
    with store.session() as s:
        events = list(s.scalars(select(AlertEvent).order_by(AlertEvent.at.desc()).limit(limit)))
        sends: dict[int, list[AlertNotification]] = {}
        ids = [e.id for e in events]
        if ids:
            for n in s.scalars(
                select(AlertNotification).where(AlertNotification.event_id.in_(ids))
            ):
                sends.setdefault(n.event_id, []).append(n)
        out = []
        for e in events:
            tries = sends.get(e.id, [])
            delivered = sorted({n.channel for n in tries if n.ok})
            out.append(
                {
                    "at": e.at,
                    "rule": e.rule_name,
                    "event": e.event,
                    "severity": e.severity,
                    "value": e.value,
                    "message": e.message,
                    "attempts": len(tries),
                    "delivered_to": ", ".join(delivered),
                }
            )
        return out


def deliveries(store: Store, limit: int = 200) -> list[dict[str, Any]]:
    """Recent alert events, one row per channel tried: attempts, delivered or not, last error.

    An event no channel was tried for (none configured) has one row with channel None.
    """
    with store.session() as s:
        events = list(s.scalars(select(AlertEvent).order_by(AlertEvent.at.desc()).limit(limit)))
        tries: dict[int, dict[str, list[AlertNotification]]] = {}
        ids = [e.id for e in events]
        if ids:
            for n in s.scalars(
                select(AlertNotification)
                .where(AlertNotification.event_id.in_(ids))
                .order_by(AlertNotification.attempt)
            ):
                tries.setdefault(n.event_id, {}).setdefault(n.channel, []).append(n)
        out = []
        for e in events:
            base = {"at": e.at, "rule": e.rule_name, "event": e.event, "severity": e.severity}
            channels = tries.get(e.id) or {None: []}
            for channel, sends in sorted(channels.items(), key=lambda c: c[0] or ""):
                last = sends[-1] if sends else None
                out.append(
                    base
                    | {
                        "channel": channel,
                        "attempts": len(sends),
                        "delivered": any(n.ok for n in sends),
                        "status_code": last.status_code if last else None,
                        "error": (last.error if last and not last.ok else None),
                        "message": e.message,
                    }
                )
        return out


def run_alerts(store: Store) -> bool:
    """Worker task: evaluate the rules (never busy: runs on its own rhythm)."""
    evaluate(store)
    return False
