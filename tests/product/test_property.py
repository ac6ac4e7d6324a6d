"""Funnel and retention against a straightforward pandas implementation on random events."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from engine.product.funnels import funnel
from engine.product.retention import retention
from tests.product.helpers import ingest, period

EVENTS = ["A", "B", "C"]
T0 = datetime(2024, 3, 4, tzinfo=UTC)  # a Monday
USERS = ["u0", "u1", "u2", "u3", "u4"]

random_events = st.lists(
    st.tuples(
        st.sampled_from(USERS),
        st.sampled_from(EVENTS),
        st.integers(0, 40 * 24 * 4).map(lambda q: T0 + timedelta(minutes=15 * q)),
    ),
    min_size=1,
    max_size=40,
)
SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _reset(store) -> None:  # type: ignore[no-untyped-def]
    with store.session() as s:
        for t in ("product_events", "product_user_days", "product_user_event_days",
                  "product_user_firsts", "product_users", "product_event_names",
                  "product_identity_links"):  # fmt: skip
            s.execute(text(f"DELETE FROM {t}"))


def _load(store, rows) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    _reset(store)
    calls = [
        {"type": "track", "event": e, "userId": u, "timestamp": t.isoformat(),
         "messageId": f"p{i}"}
        for i, (u, e, t) in enumerate(rows)
    ]  # fmt: skip
    ingest(store, calls)
    return pd.DataFrame(rows, columns=["user", "event", "ts"])


def pandas_funnel(df: pd.DataFrame, steps, start, end, window) -> list[int]:  # type: ignore[no-untyped-def]
    counts = [0] * len(steps)
    first = df[(df.event == steps[0]) & (df.ts >= start) & (df.ts < end)]
    for _user, anchor in first.groupby("user").ts.min().items():
        mine = df[df.user == _user]
        t = anchor
        counts[0] += 1
        for k, step in enumerate(steps[1:], start=1):
            ok = mine[(mine.event == step) & (mine.ts >= t) & (mine.ts <= anchor + window)]
            if ok.empty:
                break
            t = ok.ts.min()
            counts[k] += 1
    return counts


@SETTINGS
@given(rows=random_events, window_h=st.sampled_from([1, 24, 24 * 7]))
def test_funnel_matches_pandas(store, rows, window_h):
    df = _load(store, rows)
    p = period("2024-03-04", "2024-03-24")
    window = timedelta(hours=window_h)
    got = funnel(store, ["A", "B", "C"], p, int(window.total_seconds()))
    expected = pandas_funnel(df, ["A", "B", "C"], p.start, p.end, window)
    assert [s.users for s in got.steps] == expected


def pandas_retention(df: pd.DataFrame, first: date, last: date, periods: int, mode: str):  # type: ignore[no-untyped-def]
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), UTC)
    df = df[df.ts < end].copy()
    df["week"] = df.ts.map(lambda t: t.date() - timedelta(days=t.weekday()))
    starts = df[df.event == "A"].groupby("user").ts.min()
    out = {}
    for user, ts in starts.items():
        week = ts.date() - timedelta(days=ts.weekday())
        if not first <= week <= last:
            continue
        weeks = {(w - week).days // 7 for w in df[df.user == user].week}
        out.setdefault(week, []).append(weeks)
    table = {}
    for week, members in out.items():
        row = [len(members)]
        for n in range(1, periods):
            if week + timedelta(weeks=n) > last:
                row.append(None)
            elif mode == "on":
                row.append(sum(1 for w in members if n in w))
            else:
                row.append(sum(1 for w in members if any(x >= n for x in w)))
        table[week] = row
    return table


@SETTINGS
@given(rows=random_events, mode=st.sampled_from(["on", "on_or_after"]))
def test_retention_matches_pandas(store, rows, mode):
    df = _load(store, rows)
    first, last = date(2024, 3, 4), date(2024, 3, 27)
    got = retention(store, period(str(first), str(last)), start_event="A", periods=4, mode=mode)
    expected = pandas_retention(df, first, last, 4, mode)
    assert {c.cohort: c.retained for c in got.cohorts if c.size} == expected
