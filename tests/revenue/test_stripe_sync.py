"""`hub stripe sync` against the stateful fake: seeding, pagination, cursor, 429, errors."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.config import get_settings
from engine.errors import HubError
from engine.revenue import stripe_api
from engine.revenue.models import StripeEvent, StripeSyncState
from engine.revenue.reports import customer_movements, revenue_kpis
from engine.revenue.stripe_api import StripeClient, sync_stripe
from engine.store import Store
from tests.actors import ADMIN
from tests.revenue.fake_stripe import API_KEY, FakeStripe
from tests.revenue.stripe_objects import item, period, price, subscription, ts

NOW = ts("2025-06-01")


def client(fake: FakeStripe, sleeps: list[float] | None = None, **kw: object) -> StripeClient:
    record = sleeps if sleeps is not None else []
    return StripeClient(
        "https://stripe.test", API_KEY, transport=fake.transport(), sleep=record.append, **kw
    )


def seeded_fake(n: int = 250) -> FakeStripe:
    fake = FakeStripe()
    for i in range(n):
        fake.add_customer(f"cus_{i}", f"Customer {i}", ts("2025-01-01"))
        fake.add_subscription(
            subscription(f"sub_{i}", f"cus_{i}", [item(price(1000))], start_date=ts("2025-01-02"))
        )
    return fake


def cursor(store: Store) -> int | None:
    with store.session() as s:
        row = s.get(StripeSyncState, "events_cursor")
        return None if row is None else int(row.value)


def test_first_run_pages_through_every_subscription(store: Store) -> None:
    fake = seeded_fake(250)
    report = sync_stripe(store, ADMIN, client=client(fake), now=NOW)
    subs = [r for r in fake.requests if r.url.path == "/v1/subscriptions"]
    assert len(subs) == 3  # 100 + 100 + 50
    assert [r.url.params.get("starting_after") for r in subs] == [None, "sub_150", "sub_50"]
    assert all(r.url.params["status"] == "all" and r.url.params["limit"] == "100" for r in subs)
    assert all(r.headers["authorization"] == f"Bearer {API_KEY}" for r in fake.requests)
    assert (report.seeded, report.subscriptions, report.customers) == (True, 250, 250)
    assert cursor(store) == NOW
    k = revenue_kpis(store, period("2025-01-01", "2025-05-31")).as_json()
    assert (k["mrr_end"], k["new"], k["paying_customers_end"]) == (2500.0, 2500.0, 250)
    assert "/v1/events" not in fake.paths()  # the first run seeds; events come next time


def test_seeding_rebuilds_trial_and_end_from_the_objects(store: Store) -> None:
    fake = FakeStripe()
    fake.add_subscription(
        subscription(
            "sub_t",
            "cus_t",
            [item(price(2000))],
            status="canceled",
            start_date=ts("2025-01-01"),
            trial_end=ts("2025-01-15"),
            ended_at=ts("2025-03-10"),
        )
    )
    sync_stripe(store, ADMIN, client=client(fake), now=NOW)
    assert [(m["day"], m["kind"]) for m in customer_movements(store, "cus_t")] == [
        ("2025-01-15", "new"),
        ("2025-03-10", "churn"),
    ]


def test_later_runs_pull_events_since_the_cursor_and_advance_it(store: Store) -> None:
    fake = seeded_fake(3)
    sync_stripe(store, ADMIN, client=client(fake), now=NOW)
    old = fake.add_event(
        "customer.subscription.updated",
        NOW - 86400,
        subscription("sub_0", "cus_0", [item(price(1))]),
    )
    for n in range(230):  # more than two pages of new events
        fake.add_event(
            "customer.subscription.updated",
            NOW + 60 + n,
            subscription("sub_1", "cus_1", [item(price(1000), 1 + n % 3)]),
        )
    fake.add_event("invoice.paid", NOW + 500, {"id": "in_1"})
    fake.requests.clear()
    report = sync_stripe(store, ADMIN, client=client(fake), now=NOW + 3600)
    calls = [r for r in fake.requests if r.url.path == "/v1/events"]
    assert len(calls) == 3
    first = calls[0].url.params
    assert first["created[gte]"] == str(NOW)
    assert set(first.get_list("types[]")) == set(stripe_api.EVENT_TYPES)
    assert report.events == 230 and report.new == 230
    assert cursor(store) == NOW + 60 + 229
    with store.session() as s:
        assert s.get(StripeEvent, old["id"]) is None  # before the cursor: never asked for
    again = sync_stripe(store, ADMIN, client=client(fake), now=NOW + 7200)
    assert (again.events, again.new, again.duplicates) == (1, 0, 1)  # the cursor's own second


def test_429_is_retried_with_retry_after_then_backoff(store: Store) -> None:
    fake = seeded_fake(5)
    sleeps: list[float] = []
    fake.rate_limited, fake.retry_after = 2, "3"
    report = sync_stripe(store, ADMIN, client=client(fake, sleeps), now=NOW)
    assert sleeps == [3.0, 3.0]
    assert report.retries == 2 and report.subscriptions == 5
    fake.rate_limited, fake.retry_after = 3, None
    sleeps.clear()
    sync_stripe(store, ADMIN, client=client(fake, sleeps), now=NOW + 10)
    assert sleeps == [1.0, 2.0, 4.0]


def test_endless_429_fails_cleanly_and_stores_nothing(store: Store) -> None:
    fake = seeded_fake(5)
    fake.rate_limited = 100
    with pytest.raises(HubError, match="429 after 3 retries"):
        sync_stripe(store, ADMIN, client=client(fake, max_retries=3), now=NOW)
    assert cursor(store) is None
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(StripeEvent)) == 0


def test_bad_key_is_one_clear_error(store: Store) -> None:
    fake = FakeStripe(api_key="sk_test_other")
    with pytest.raises(HubError, match="401"):
        sync_stripe(store, ADMIN, client=client(fake), now=NOW)


def test_missing_key_says_which_setting(store: Store) -> None:
    with pytest.raises(HubError, match="HUB_STRIPE_API_KEY"):
        sync_stripe(store, ADMIN, now=NOW)


def test_settings_pick_url_key_and_transport(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = seeded_fake(2)
    monkeypatch.setenv("HUB_STRIPE_API_KEY", API_KEY)
    monkeypatch.setenv("HUB_STRIPE_API_URL", "http://stripe.local:12111/")
    get_settings.cache_clear()
    monkeypatch.setattr(stripe_api, "default_transport", fake.transport)
    assert sync_stripe(store, ADMIN, now=NOW).subscriptions == 2
    assert {str(r.url.host) for r in fake.requests} == {"stripe.local"}


def test_worker_task_syncs_only_once_a_key_is_set(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from engine.revenue.tasks import STRIPE_SYNC

    fake = seeded_fake(1)
    monkeypatch.setattr(stripe_api, "default_transport", fake.transport)
    assert STRIPE_SYNC.run(store) is False and fake.requests == []
    monkeypatch.setenv("HUB_STRIPE_API_KEY", API_KEY)
    get_settings.cache_clear()
    STRIPE_SYNC.run(store)
    assert cursor(store) is not None and "/v1/subscriptions" in fake.paths()
    assert STRIPE_SYNC.every_seconds == 900
