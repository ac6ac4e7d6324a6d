"""Demo company product data: a year of Segment calls and survey responses.

Signups grow over the year with weekly seasonality and a spike at `spec.launch_day`;
about a third of users browse anonymously first and are linked by `identify` at signup;
most create a target and complete a first sync within minutes; activity decays and users
churn; outages leave gaps. Everything is deterministic (`spec.rng("product")`) and goes
through the real importers in demo batches, so `hub demo --clear` removes exactly it.
"""

from __future__ import annotations

import math
from bisect import bisect
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from random import Random
from typing import Any

from sqlalchemy import delete, select, text, update
from sqlalchemy.orm import Session

from engine.access.principal import SYSTEM
from engine.demo import SCALE_USERS, DemoSpec, ProgressFn, register
from engine.product.ingest import import_calls
from engine.product.models import IdentityLink, ProductEvent, SurveyResponse
from engine.product.rollups import rebuild_event_names, recompute_persons
from engine.product.surveys import Response, import_responses
from engine.store import Store
from engine.store.models import ImportBatch

COMMENTS = {
    "promoter": [
        "Sync just works, saved us hours every week.",
        "Setup took five minutes. Love the dashboard.",
        "Best tool we adopted this year.",
        "The three-way merge is magic.",
    ],
    "passive": [
        "Good, but I'd like more export formats.",
        "Works fine; the pricing page was confusing.",
        "Solid. Occasional slow syncs.",
    ],
    "detractor": [
        "Sync failed twice during the outage.",
        "Too hard to connect our Google account.",
        "Missing the integrations we need.",
    ],
}


@dataclass
class _User:
    index: int
    uid: str
    signup: datetime
    quality: float
    activated_at: datetime | None
    churn: datetime


class ProductDemo:
    name = "product"

    def load(self, store: Store, spec: DemoSpec, progress: ProgressFn) -> int:
        users = SCALE_USERS[spec.scale]
        responses: list[Response] = []

        def tracked() -> Iterator[dict[str, Any]]:
            for n, calls in enumerate(generate_users(spec, users, responses), start=1):
                yield from calls
                if n % 50 == 0 or n == users:
                    progress("Product events (users)", n, users)

        report = import_calls(
            store, tracked(), label=f"demo product events (scale {spec.scale}, seed {spec.seed})"
        )
        surveys = import_responses(
            store, SYSTEM, responses, source="demo", label="demo survey responses", is_demo=True
        )
        return report.new + surveys.new

    def clear(self, session: Session) -> int:
        """Delete demo events, links and responses; recompute the users they touched."""
        demo = select(ImportBatch.id).where(ImportBatch.is_demo.is_(True)).scalar_subquery()
        E = ProductEvent.__table__
        persons = set(
            session.execute(
                select(E.c.person).where(E.c.batch_id.in_(demo), E.c.person.is_not(None)).distinct()
            ).scalars()
        )
        links = session.execute(
            select(IdentityLink.anonymous_id, IdentityLink.user_id).where(
                IdentityLink.batch_id.in_(demo)
            )
        ).all()
        persons.update(user for _, user in links)
        count = session.execute(
            delete(ProductEvent).where(ProductEvent.batch_id.in_(demo))
        ).rowcount
        count += session.execute(
            delete(IdentityLink).where(IdentityLink.batch_id.in_(demo))
        ).rowcount
        count += session.execute(
            delete(SurveyResponse).where(SurveyResponse.batch_id.in_(demo))
        ).rowcount
        anon = [a for a, _ in links]
        for start in range(0, len(anon), 2000):  # real events those links had claimed
            session.execute(
                update(ProductEvent)
                .where(
                    ProductEvent.anonymous_id.in_(anon[start : start + 2000]),
                    ProductEvent.user_id.is_(None),
                )
                .values(person=None)
                .execution_options(synchronize_session=False)
            )
        recompute_persons(session, persons)
        rebuild_event_names(session)
        if not session.execute(text("SELECT 1 FROM product_events LIMIT 1")).first():
            session.execute(text("DELETE FROM product_meta"))
        return count or 0


def _signup_weights(spec: DemoSpec) -> list[float]:
    weights = []
    for i in range(spec.days):
        day = spec.first_day + timedelta(days=i)
        w = math.exp(2.0 * i / spec.days) * (0.55 if day.weekday() >= 5 else 1.0)
        since_launch = (day - spec.launch_day).days
        if 0 <= since_launch < 14:
            w += 10.0 * math.exp(-since_launch / 2.5)
        weights.append(w)
    return weights


def generate_users(
    spec: DemoSpec, users: int, responses: list[Response] | None = None, activity: float = 1.0
) -> Iterator[list[dict[str, Any]]]:
    """Per user, their Segment calls (in time order); survey answers go to `responses`."""
    rng = spec.rng("product")
    cum = list(accumulate(_signup_weights(spec)))
    end = datetime.combine(spec.today + timedelta(days=1), datetime.min.time(), UTC)
    for i in range(users):
        day = spec.first_day + timedelta(days=bisect(cum, rng.random() * cum[-1]))
        seconds = min(86_399, max(0, int(rng.gauss(14 * 3600, 3.5 * 3600))))
        signup = datetime.combine(day, datetime.min.time(), UTC) + timedelta(seconds=seconds)
        yield _calls(rng, spec, i, signup, end, responses, activity)


def _calls(
    rng: Random,
    spec: DemoSpec,
    i: int,
    signup: datetime,
    end: datetime,
    responses: list[Response] | None,
    activity: float,
) -> list[dict[str, Any]]:
    uid = f"user-{i:06d}"
    calls: list[dict[str, Any]] = []

    def add(kind: str, at: datetime, event: str | None = None, **fields: Any) -> None:
        if at >= end or any(start <= at < start + length for start, length in spec.outages):
            return
        msg: dict[str, Any] = {
            "type": kind,
            "messageId": f"demo-{spec.seed}-{i}-{len(calls)}",
            "timestamp": at.isoformat().replace("+00:00", "Z"),
            **fields,
        }
        if event:
            msg["event"] = event
        calls.append(msg)

    anon = f"anon-{i:06d}" if rng.random() < 0.35 else None
    if anon:
        for _ in range(rng.randint(1, 3)):
            at = signup - timedelta(seconds=rng.randint(60, 3 * 86_400))
            add("page", at, anonymousId=anon, name=rng.choice(["Landing", "Pricing", "Docs"]))
    ids = {"userId": uid, **({"anonymousId": anon} if anon else {})}
    source = rng.choice(["organic", "launch", "referral", "ads"])
    add("track", signup, "Signed Up", properties={"plan": "free", "source": source}, **ids)
    add(
        "identify",
        signup + timedelta(seconds=2),
        traits={"email": f"{uid}@example.com", "plan": "free"},
        **ids,
    )
    quality = rng.betavariate(2, 3)
    activated: datetime | None = None
    if rng.random() < 0.55 + 0.35 * quality:
        target = signup + timedelta(seconds=rng.lognormvariate(math.log(90), 0.8))
        add("track", target, "Target Created", userId=uid, properties={"kind": "repo"})
        if rng.random() < 0.82:
            late = rng.random() < 0.08
            wait = (
                rng.uniform(86_400, 10 * 86_400) if late else rng.lognormvariate(math.log(110), 0.9)
            )
            activated = target + timedelta(seconds=wait)
            add("track", activated, "First Sync Completed", userId=uid)
    lifetime = rng.expovariate(1 / (25 + 260 * quality * (1.6 if activated else 0.6)))
    churn = signup + timedelta(days=lifetime)
    day = signup.date() + timedelta(days=1)
    while datetime.combine(day, datetime.min.time(), UTC) < min(end, churn):
        age = (day - signup.date()).days
        p = activity * (0.2 + 0.6 * quality) * (0.45 if day.weekday() >= 5 else 1.0)
        p *= 0.5 + 0.5 * math.exp(-age / 20)
        if rng.random() < p:
            base = datetime.combine(day, datetime.min.time(), UTC) + timedelta(
                seconds=rng.randint(6 * 3600, 22 * 3600)
            )
            add("track", base, "Signed In", userId=uid)
            t = base
            for _ in range(rng.randint(1, 3)):
                t += timedelta(seconds=rng.randint(5, 600))
                add("track", t, "Dashboard Viewed", userId=uid)
            if activated and activated <= t:
                for _ in range(rng.randint(0, 4)):
                    t += timedelta(seconds=rng.randint(5, 900))
                    add("track", t, "Sync Triggered", userId=uid)
            if rng.random() < 0.12:
                add("track", t + timedelta(seconds=30), "Report Exported", userId=uid)
            if rng.random() < 0.04:
                add("track", t + timedelta(seconds=60), "Invite Sent", userId=uid)
            if rng.random() < 0.1:
                add("page", t + timedelta(seconds=90), userId=uid, name="Settings")
        day += timedelta(days=1)
    if activated and rng.random() < 0.25:
        add(
            "track",
            signup + timedelta(days=rng.uniform(3, 30)),
            "Subscription Started",
            userId=uid,
            properties={"plan": rng.choice(["starter", "team"])},
        )
    if responses is not None:
        _survey(rng, uid, signup, churn, end, activated is not None, quality, responses)
    calls.sort(key=lambda c: c["timestamp"])
    return calls


def _survey(
    rng: Random,
    uid: str,
    signup: datetime,
    churn: datetime,
    end: datetime,
    activated: bool,
    quality: float,
    out: list[Response],
) -> None:
    asked = signup + timedelta(days=rng.uniform(21, 60))
    if asked < min(end, churn + timedelta(days=7)) and rng.random() < 0.4:
        score = round(6 + 4.5 * quality + (1.0 if activated else -1.5) + rng.gauss(0, 1.3))
        score = min(10, max(0, score))
        bucket = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
        comment = rng.choice(COMMENTS[bucket]) if rng.random() < 0.3 else None
        out.append(Response(uid, "nps", score, asked.replace(microsecond=0), comment))
    if activated and rng.random() < 0.3:
        at = signup + timedelta(days=rng.uniform(1, 20))
        if at < end:
            csat = min(5, max(1, round(3.3 + 2 * quality + rng.gauss(0, 0.8))))
            out.append(Response(uid, "csat", csat, at.replace(microsecond=0), None))


register(ProductDemo())
