"""Alert rules fire once, resolve once, retry with backoff, and record every send.

Slack and the generic webhook are faked at the HTTP level (httpx.MockTransport).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from engine.errors import InputError
from engine.launch import alerts
from engine.launch.models import AlertEvent, AlertNotification
from engine.reliability.ingest import import_request_records
from engine.store import Store
from tests.actors import ADMIN
from tests.launch.fakes import FakeHooks
from tests.reliability.helpers import at, request

SLACK = "https://hooks.slack.test/services/T/B/X"
HOOK = "https://ops.example/hook"
NOW = at("2026-01-10 12:00")


@pytest.fixture
def hooks(monkeypatch: pytest.MonkeyPatch) -> FakeHooks:
    from engine.config import get_settings

    monkeypatch.setenv("HUB_SLACK_WEBHOOK_URL", SLACK)
    get_settings.cache_clear()
    return FakeHooks()


def notifier(store: Store, hooks: FakeHooks, sleeps: list[float] | None = None) -> alerts.Notifier:
    record = sleeps if sleeps is not None else []
    return alerts.Notifier(store, transport=hooks.transport, sleep=record.append)


def errors_at(store: Store, minute: int, rate_errors: int, total: int = 100) -> None:
    """`total` requests in the minute before NOW + `minute` minutes, `rate_errors` of them 5xx."""
    end = NOW + timedelta(minutes=minute)
    import_request_records(
        store,
        ADMIN,
        [
            request(end - timedelta(seconds=0.5 * i + 0.1), 500 if i < rate_errors else 200)
            for i in range(total)
        ],
    )


def count(store: Store, model: type) -> int:
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_fires_once_and_resolves_once_without_repeats(store: Store, hooks: FakeHooks) -> None:
    alerts.add_rule(
        store,
        ADMIN,
        "errors",
        metric="error_rate",
        op=">",
        threshold=0.05,
        window="5m",
        severity="page",
    )
    alerts.set_default_webhook(store, ADMIN, HOOK)
    n = notifier(store, hooks)
    errors_at(store, 0, 20)  # 20 % errors
    events = alerts.evaluate(store, now=NOW, notifier=n)
    assert [e.event for e in events] == ["fire"]
    for minute in (1, 2, 3):  # still firing: no new notification
        assert alerts.evaluate(store, now=NOW + timedelta(minutes=minute), notifier=n) == []
    assert len(hooks.to(SLACK)) == 1 and len(hooks.to(HOOK)) == 1
    assert "FIRING" in hooks.to(SLACK)[0]["text"]
    assert hooks.to(HOOK)[0]["event"] == "fire"
    assert hooks.to(HOOK)[0]["value"] == pytest.approx(0.2)
    # 10 minutes later the window holds no errors → resolves once.
    errors_at(store, 10, 0)
    resolved = alerts.evaluate(store, now=NOW + timedelta(minutes=10), notifier=n)
    assert [e.event for e in resolved] == ["resolve"]
    assert alerts.evaluate(store, now=NOW + timedelta(minutes=11), notifier=n) == []
    assert [b["event"] for b in hooks.to(HOOK)] == ["fire", "resolve"]
    assert len(hooks.to(SLACK)) == 2
    assert count(store, AlertNotification) == 4  # every send recorded
    rule = alerts.list_rules(store)[0]
    assert rule["firing"] is False and rule["last_value"] == 0.0


def test_retries_5xx_and_429_with_backoff_and_records_each_attempt(
    store: Store, hooks: FakeHooks
) -> None:
    alerts.add_rule(store, ADMIN, "errors", metric="error_rate", threshold=0.05, window="5m")
    errors_at(store, 0, 50)
    hooks.fail = [500, 503, 429]
    hooks.retry_after = "7"
    sleeps: list[float] = []
    alerts.evaluate(store, now=NOW, notifier=notifier(store, hooks, sleeps))
    assert len(hooks.to(SLACK)) == 1  # delivered on the fourth attempt
    assert sleeps == [1.0, 2.0, 7.0]  # exponential backoff, then Retry-After
    with store.session() as s:
        tries = s.execute(
            select(
                AlertNotification.attempt, AlertNotification.ok, AlertNotification.status_code
            ).order_by(AlertNotification.attempt)
        ).all()
    assert [tuple(t) for t in tries] == [
        (1, False, 500),
        (2, False, 503),
        (3, False, 429),
        (4, True, 200),
    ]
    assert alerts.history(store)[0]["delivered_to"] == "slack"


def test_gives_up_after_the_last_attempt_and_never_resends_while_firing(
    store: Store, hooks: FakeHooks
) -> None:
    alerts.add_rule(store, ADMIN, "errors", metric="error_rate", threshold=0.05, window="5m")
    errors_at(store, 0, 50)
    hooks.fail = [500] * 10
    alerts.evaluate(store, now=NOW, notifier=notifier(store, hooks))
    assert hooks.calls == 4 and hooks.deliveries == []
    alerts.evaluate(store, now=NOW + timedelta(minutes=1), notifier=notifier(store, hooks))
    assert hooks.calls == 4
    assert count(store, AlertEvent) == 1


def test_a_4xx_is_not_retried(store: Store, hooks: FakeHooks) -> None:
    hooks.fail = [404]
    assert alerts.send_test(store, ADMIN, notifier=notifier(store, hooks)) == {"slack": False}
    assert hooks.calls == 1


def test_burn_rate_rule_pages(store: Store, hooks: FakeHooks) -> None:
    alerts.add_rule(store, ADMIN, "burn-page", burn_slo="availability", severity="page")
    alerts.add_rule(store, ADMIN, "burn-ticket", burn_slo="availability", severity="ticket")
    errors_at(store, 0, 5)  # 5 % errors over the last minute, none before: 5m and 1h burn 50
    events = alerts.evaluate(store, now=NOW, notifier=notifier(store, hooks))
    fired = {e.rule for e in events}
    # 3d and 6h burn are also 50 here (no other traffic), so the ticket rule holds too.
    assert fired == {"burn-page", "burn-ticket"}
    assert "1h and 5m burn > 14.4" in hooks.to(SLACK)[0]["text"] or any(
        "1h and 5m burn > 14.4" in b["text"] for b in hooks.to(SLACK)
    )


def test_send_test_alert_is_evidence(store: Store, hooks: FakeHooks) -> None:
    assert alerts.alerting_tested(store) is None
    result = alerts.send_test(store, ADMIN, notifier=notifier(store, hooks), webhook_url=HOOK)
    assert result == {"slack": True, "webhook": True}
    assert hooks.to(HOOK)[0]["event"] == "test"
    assert alerts.alerting_tested(store) is not None


def test_send_test_without_channels_says_how(store: Store) -> None:
    with pytest.raises(InputError, match="HUB_SLACK_WEBHOOK_URL"):
        alerts.send_test(store, ADMIN)


def test_rule_validation(store: Store) -> None:
    with pytest.raises(InputError):
        alerts.add_rule(store, ADMIN, "x", metric="nope", threshold=1)
    with pytest.raises(InputError):
        alerts.add_rule(store, ADMIN, "x", metric="error_rate")
    with pytest.raises(InputError):
        alerts.add_rule(store, ADMIN, "x", burn_slo="latency_p95", severity="page")
    alerts.add_rule(store, ADMIN, "x", metric="uptime", op="<", threshold=0.999, window="1h")
    with pytest.raises(InputError):
        alerts.add_rule(store, ADMIN, "x", metric="uptime", op="<", threshold=0.999)
    assert alerts.list_rules(store)[0]["window_seconds"] == 3600
    alerts.remove_rule(store, ADMIN, "x")
    assert alerts.list_rules(store) == []
    with pytest.raises(InputError):
        alerts.remove_rule(store, ADMIN, "x")
    assert alerts.parse_duration("90s") == 90 and alerts.parse_duration("3d") == 259200


def test_update_rule_changes_it_in_place(store: Store, hooks: FakeHooks) -> None:
    alerts.add_rule(store, ADMIN, "errors", metric="error_rate", threshold=0.05, window="5m")
    alerts.add_rule(store, ADMIN, "burn", burn_slo="availability", severity="page")
    errors_at(store, 0, 20)
    alerts.evaluate(store, now=NOW, notifier=notifier(store, hooks))
    rule = alerts.update_rule(store, ADMIN, "errors", threshold=0.5, window="15m", severity="page")
    assert (rule["threshold"], rule["window_seconds"], rule["severity"]) == (0.5, 900, "page")
    assert rule["firing"] is True  # state kept: it resolves on the next evaluation
    assert alerts.update_rule(store, ADMIN, "errors", enabled=False)["enabled"] is False
    assert alerts.update_rule(store, ADMIN, "burn", severity="ticket")["severity"] == "ticket"
    with pytest.raises(InputError, match="burn-rate rule"):
        alerts.update_rule(store, ADMIN, "burn", threshold=2.0)
    with pytest.raises(InputError, match="severity"):
        alerts.update_rule(store, ADMIN, "burn", severity="info")
    with pytest.raises(InputError, match="op"):
        alerts.update_rule(store, ADMIN, "errors", op="=")
    with pytest.raises(InputError, match="no alert rule"):
        alerts.update_rule(store, ADMIN, "nope", threshold=1.0)


def test_deliveries_give_one_row_per_event_and_channel(store: Store, hooks: FakeHooks) -> None:
    alerts.set_default_webhook(store, ADMIN, HOOK)
    n = notifier(store, hooks)
    hooks.fail = [400]  # Slack refuses the first (not retried); the webhook gets it
    alerts.send_test(store, ADMIN, notifier=n)
    alerts.add_rule(store, ADMIN, "errors", metric="error_rate", threshold=0.05, window="5m")
    errors_at(store, 0, 20)
    alerts.evaluate(store, now=NOW, notifier=n)
    rows = sorted(alerts.deliveries(store), key=lambda r: (r["rule"], r["channel"]))
    assert [(r["rule"], r["event"], r["channel"], r["delivered"]) for r in rows] == [
        ("errors", "fire", "slack", True),
        ("errors", "fire", "webhook", True),
        ("test", "test", "slack", False),
        ("test", "test", "webhook", True),
    ]
    assert rows[2]["attempts"] == 1 and "HTTP 400" in rows[2]["error"]
    assert rows[3]["error"] is None and rows[3]["status_code"] == 200
    assert alerts.Notifier(store).configured() == ["slack", "webhook"]
