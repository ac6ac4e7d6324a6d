"""AppTest of the Reliability page's SLO and alerts sections: rules added, edited and
removed from the dashboard, the "Send test alert" button (Slack and the webhook faked at
the HTTP level), the alert history, and the checklist evidence the test produces."""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta

import pytest

from engine.launch import alerts, control
from engine.reliability.ingest import import_request_records
from engine.store import Store
from tests.actors import ADMIN
from tests.launch.fakes import FakeHooks
from tests.pages.harness import assert_clean, open_page
from tests.reliability.helpers import request

SLACK = "https://hooks.slack.test/services/T/B/X"
HOOK = "https://ops.example/hook"


def _text(at) -> str:  # type: ignore[no-untyped-def]
    parts = [m.value for m in at.markdown] + [i.value for i in at.info]
    parts += [c.value for c in at.caption] + [e.value for e in at.error]
    parts += [w.value for w in at.warning] + [s.value for s in at.success]
    return "\n".join(str(p) for p in parts)


@pytest.fixture
def hooks(monkeypatch: pytest.MonkeyPatch) -> FakeHooks:
    """Every Notifier the page builds talks to the fake over httpx.MockTransport."""
    fake = FakeHooks()
    monkeypatch.setattr(
        alerts,
        "Notifier",
        functools.partial(alerts.Notifier, transport=fake.transport, sleep=lambda _s: None),
    )
    return fake


def _slack(monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.config import get_settings

    monkeypatch.setenv("HUB_SLACK_WEBHOOK_URL", SLACK)
    get_settings.cache_clear()


def _alerting_item(store: Store) -> dict:
    items = control.checklist(store)
    return next(i for i in items if i["text"] == "Confirm alerting is functional")


def test_send_test_alert_button_is_the_checklist_evidence(
    store: Store, hooks: FakeHooks, monkeypatch: pytest.MonkeyPatch
) -> None:
    _slack(monkeypatch)
    alerts.set_default_webhook(store, ADMIN, HOOK)
    assert _alerting_item(store)["live_ok"] is False
    at = open_page("reliability.py")  # no reliability data: the alerts section still shows
    assert_clean(at)
    assert "No alert sent yet" in _text(at)
    button = at.button(key="alert_test")
    assert not button.disabled
    button.click().run()
    assert_clean(at)
    assert "Test alert delivered to slack, webhook" in _text(at)
    assert "TEST" in hooks.to(SLACK)[0]["text"]
    assert hooks.to(HOOK)[0]["event"] == "test"
    item = _alerting_item(store)
    assert item["live_ok"] is True and "test alert delivered" in item["live_evidence"]
    history = at.dataframe[-1].value
    assert sorted(history["channel"]) == ["slack", "webhook"]
    assert set(history["delivered"]) == {"✅ yes"} and set(history["event"]) == {"test"}


def test_failed_test_alert_is_shown_and_recorded(
    store: Store, hooks: FakeHooks, monkeypatch: pytest.MonkeyPatch
) -> None:
    _slack(monkeypatch)
    hooks.fail = [400]  # not retryable
    at = open_page("reliability.py")
    at.button(key="alert_test").click().run()
    assert_clean(at)
    assert "Test alert not delivered to slack" in "\n".join(e.value for e in at.error)
    history = at.dataframe[-1].value
    assert list(history["delivered"]) == ["❌ no"] and "HTTP 400" in history["error"][0]
    assert _alerting_item(store)["live_ok"] is False


def test_no_channel_disables_the_test_button(store: Store, hooks: FakeHooks) -> None:
    at = open_page("reliability.py")
    assert_clean(at)
    assert at.button(key="alert_test").disabled
    assert "Channels: none" in _text(at)


def test_rules_are_added_edited_and_removed_from_the_page(store: Store, hooks: FakeHooks) -> None:
    at = open_page("reliability.py")
    assert "No alert rules yet" in _text(at)
    at.text_input(key="ar_name").input("errors-5m")
    at.selectbox(key="ar_metric").select("error_rate")
    at.selectbox(key="ar_op").select(">")
    at.number_input(key="ar_threshold").set_value(0.05)
    at.text_input(key="ar_window").input("5m")
    at.selectbox(key="ar_severity").select("page")
    at.button(key="ar_submit").click().run()
    assert_clean(at)
    [rule] = alerts.list_rules(store)
    assert (rule["metric"], rule["op"], rule["threshold"]) == ("error_rate", ">", 0.05)
    assert (rule["window_seconds"], rule["severity"]) == (300, "page")
    assert "Alert rule errors-5m added." in _text(at)

    at.number_input(key="ae_threshold").set_value(0.2)
    at.text_input(key="ae_window").input("15m")
    at.selectbox(key="ae_severity").select("ticket")
    at.button(key="ae_submit").click().run()
    assert_clean(at)
    [rule] = alerts.list_rules(store)
    assert (rule["threshold"], rule["window_seconds"], rule["severity"]) == (0.2, 900, "ticket")

    # A burn-rate rule on the availability SLO, then a duplicate name is refused.
    at.text_input(key="ar_name").input("burn")
    at.selectbox(key="ar_metric").select("burn: availability")
    at.selectbox(key="ar_severity").select("page")
    at.button(key="ar_submit").click().run()
    assert {r["name"]: r["kind"] for r in alerts.list_rules(store)} == {
        "burn": "burn",
        "errors-5m": "kpi",
    }
    at.button(key="ar_submit").click().run()
    assert "exists" in "\n".join(e.value for e in at.error)

    at.selectbox(key="ae_rule").select("errors-5m")
    at.run()
    at.button(key="ae_remove").click().run()
    assert_clean(at)
    assert [r["name"] for r in alerts.list_rules(store)] == ["burn"]


def test_slo_panel_shows_budget_and_burn_rates(store: Store, hooks: FakeHooks) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    # 30 % errors over the last hour: every page and ticket rule holds.
    import_request_records(
        store,
        ADMIN,
        [
            request(now - timedelta(seconds=10 * i + 5), 500 if i % 10 < 3 else 200)
            for i in range(360)
        ],
    )
    at = open_page("reliability.py")
    assert_clean(at)
    errors = "\n".join(e.value for e in at.error)
    assert "**Page**" in errors and "1h and 5m burn > 14.4" in errors
    metrics = {(m.label, m.value) for m in at.metric}
    assert ("Objective", "99.90 %") in metrics
    assert ("Consumed", "108.0 requests") in metrics  # error_rate SLO: 108 failed requests
    frames = [d.value for d in at.dataframe]
    burn = next(f for f in frames if list(f.columns) == ["5m", "30m", "1h", "6h", "3d"])
    assert float(burn["1h"][0]) == pytest.approx(300.0)  # 30 % ÷ 0.1 %
    rules = next(f for f in frames if "holds" in f.columns)
    assert list(rules["holds"]) == ["🔴 yes", "🔴 yes", "🔴 yes"]
