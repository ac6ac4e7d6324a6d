"""Product KPIs over rollups: DAU/WAU/MAU, stickiness, signups, activation, adoption, lifecycle.

Definitions (also the help texts on the pages) are in `DEFINITIONS`; all buckets are local
calendar days in `HUB_TIMEZONE`, and a period covers its first and last day whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from engine.config import get_settings
from engine.periods import Period
from engine.product.buckets import US, day_date, day_number, week_start
from engine.product.common import Days, guard_timezone, median, ratio
from engine.product.settings import product_settings
from engine.store import Store

ACTIVATION_WINDOW_US = 14 * 86_400 * US
SIGNED_IN = "Signed In"

DEFINITIONS: dict[str, str] = {
    "active_user": "A user (a userId; anonymous events count once linked by identify) with at "
    "least one track or page call that local day.",
    "dau": "Mean over the period's days of daily active users.",
    "wau": "Distinct active users in the 7 days ending on the period's last day.",
    "mau": "Distinct active users in the 30 days ending on the period's last day.",
    "stickiness": "Mean DAU over the 30 days ending on the period's last day ÷ MAU.",
    "active_users": "Distinct active users in the period.",
    "lifecycle": "Per week (Monday first): new = first-ever activity this week; returning = "
    "active this week and last; resurrecting = active this week, not last, not new; dormant "
    "= active last week, not this one (shown negative).",
    "signups": "Users whose first signup event (HUB_SIGNUP_EVENT, default `Signed Up`) falls "
    "in the period.",
    "activation_rate": "Share of the period's signups who do the activation event "
    "(HUB_ACTIVATION_EVENT, default `First Sync Completed`) at or after their signup and "
    "within 14 × 24 h of it (even past the period's end).",
    "time_to_value": "Median time from signup to the activation event over activated signups "
    "(even count: mean of the middle two). Plan target: under 5 minutes.",
    "feature_adoption": "For each feature event (HUB_FEATURE_EVENTS; default every tracked "
    "event except the signup event and `Signed In`): users who did it in the period ÷ active "
    "users in the period.",
}


def has_events(session: Session) -> bool:
    return session.execute(text("SELECT 1 FROM product_users LIMIT 1")).first() is not None


def _count(session: Session, sql: str, **params: Any) -> int:
    return int(session.execute(text(sql), params).scalar() or 0)


def _distinct_active(session: Session, first: int, last: int) -> int:
    return _count(
        session,
        "SELECT COUNT(DISTINCT person) FROM product_user_days WHERE day >= :a AND day <= :b",
        a=first,
        b=last,
    )


def _active_days(session: Session, first: int, last: int) -> int:
    return _count(
        session,
        "SELECT COUNT(*) FROM product_user_days WHERE day >= :a AND day <= :b",
        a=first,
        b=last,
    )


def feature_events(session: Session) -> list[str]:
    """HUB_FEATURE_EVENTS, or every tracked event name but the signup event and `Signed In`."""
    configured = product_settings().feature_event_list
    if configured:
        return configured
    skip = {product_settings().signup_event, SIGNED_IN}
    names = session.execute(
        text("SELECT event FROM product_event_names WHERE type = 'track' ORDER BY event")
    ).scalars()
    return [n for n in names if n not in skip]


def event_names(store: Store) -> list[str]:
    """Every event name seen (track, page and screen), for pickers."""
    with store.session() as s:
        return list(
            s.execute(text("SELECT event FROM product_event_names ORDER BY event")).scalars()
        )


@dataclass(frozen=True)
class Activation:
    signups: int
    activated: int
    rate: float | None
    ttv_median_seconds: float | None
    by_day: dict[int, tuple[int, int]]  # signup day → (signups, activated)


def activation(session: Session, d: Days) -> Activation:
    """Signups in the period and who of them activated within 14 days of signing up."""
    ps = product_settings()
    rows = session.execute(
        # The first-ever activation (a rollup) answers unless it came before the signup;
        # only then are the raw events searched.
        text(
            "SELECT f.day, f.ts_us, CASE WHEN a.ts_us IS NULL THEN NULL "
            " WHEN a.ts_us >= f.ts_us THEN CASE WHEN a.ts_us <= f.ts_us + :w THEN a.ts_us END "
            " ELSE (SELECT MIN(e.ts_us) FROM product_events e "
            "  WHERE e.person = f.person AND e.event = :act AND e.ts_us >= f.ts_us "
            "  AND e.ts_us <= f.ts_us + :w) END "
            "FROM product_user_firsts f LEFT JOIN product_user_firsts a "
            "ON a.person = f.person AND a.event = :act "
            "WHERE f.event = :signup AND f.ts_us >= :s AND f.ts_us < :e"
        ),
        {
            "act": ps.activation_event,
            "signup": ps.signup_event,
            "w": ACTIVATION_WINDOW_US,
            "s": d.start_us,
            "e": d.end_us,
        },
    ).all()
    waits = [(act - ts) / US for _, ts, act in rows if act is not None]
    by_day: dict[int, tuple[int, int]] = {}
    for day, _, act in rows:
        n, a = by_day.get(day, (0, 0))
        by_day[day] = (n + 1, a + (act is not None))
    return Activation(len(rows), len(waits), ratio(len(waits), len(rows)), median(waits), by_day)


def product_summary(store: Store, period: Period) -> dict[str, Any]:
    """`hub kpi product --json`: the keys and meaning are a stable contract."""
    d = Days.of(period)
    with store.session() as s:
        guard_timezone(s)
        active_users = _distinct_active(s, d.first, d.last)
        active_days = _active_days(s, d.first, d.last)
        dau = active_days / d.count
        wau = active_users if d.count == 7 else _distinct_active(s, d.last - 6, d.last)
        # The usual 30-day period: MAU and its mean DAU are the period's own figures.
        mau = active_users if d.count == 30 else _distinct_active(s, d.last - 29, d.last)
        mean_dau_30 = (active_days if d.count == 30 else _active_days(s, d.last - 29, d.last)) / 30
        act = activation(s, d)
        features = feature_events(s)
        adopted = feature_users(s, d, features)
    return {
        "from": str(d.first_date),
        "to": str(d.last_date),
        "timezone": get_settings().timezone,
        "dau": dau,
        "wau": wau,
        "mau": mau,
        "stickiness": ratio(mean_dau_30, mau),
        "active_users": active_users,
        "signups": act.signups,
        "activation_rate": act.rate,
        "time_to_value_median_seconds": act.ttv_median_seconds,
        "feature_adoption": {e: ratio(adopted.get(e, 0), active_users) for e in features},
    }


def feature_users(session: Session, d: Days, features: list[str]) -> dict[str, int]:
    if not features:
        return {}
    rows = session.execute(
        text(
            "SELECT event, COUNT(DISTINCT person) FROM product_user_event_days "
            "WHERE day >= :a AND day <= :b GROUP BY event"
        ),
        {"a": d.first, "b": d.last},
    ).all()
    wanted = set(features)
    return {e: int(n) for e, n in rows if e in wanted}


def daily_active(store: Store, period: Period) -> list[tuple[date, int]]:
    """Active users per day of the period (days without activity are 0: there was none)."""
    d = Days.of(period)
    with store.session() as s:
        guard_timezone(s)
        counts = dict(
            s.execute(
                text(
                    "SELECT day, COUNT(*) FROM product_user_days "
                    "WHERE day >= :a AND day <= :b GROUP BY day"
                ),
                {"a": d.first, "b": d.last},
            ).all()
        )
    return [(day_date(n), int(counts.get(n, 0))) for n in range(d.first, d.last + 1)]


def active_lines(store: Store, period: Period, max_points: int = 92) -> list[dict[str, Any]]:
    """DAU, WAU and MAU as of each day (sampled weekly on long periods): the Adoption lines.

    Rolling distinct counts without a join per day: a person active on day d whose previous
    active day is p counts in the n-day windows ending on max(d, p + n) … d + n − 1, so +1
    there and −1 at d + n (a difference array), summed up in day order.
    """
    d = Days.of(period)
    step = 1 if d.count <= max_points else 7
    days = list(range(d.last, d.first - 1, -step))[::-1]
    lo = days[0] - 29  # earlier activity cannot reach any window ending on a wanted day
    params = {"lo": lo, "hi": d.last}
    # One window pass over the person-days; the −1s at d + n are the daily counts shifted.
    starts = (
        "WITH w AS MATERIALIZED (SELECT day, LAG(day) OVER (PARTITION BY person ORDER BY day) "
        "AS prev FROM product_user_days WHERE day >= :lo AND day <= :hi) "
        + " UNION ALL ".join(
            f"SELECT {n}, s, COUNT(*) FROM (SELECT CASE WHEN prev IS NULL OR prev + {n} <= day "
            f"THEN day ELSE prev + {n} END AS s FROM w) x{n} GROUP BY s"
            for n in (7, 30)
        )
    )
    with store.session() as s:
        guard_timezone(s)
        dau = {
            int(day): int(n)
            for day, n in s.execute(
                text(
                    "SELECT day, COUNT(*) FROM product_user_days "
                    "WHERE day >= :lo AND day <= :hi GROUP BY day"
                ),
                params,
            ).all()
        }
        changes: dict[int, dict[int, int]] = {7: {}, 30: {}}
        for n, start, count in s.execute(text(starts), params).all():
            changes[int(n)][int(start)] = int(count)
    for n, diff in changes.items():
        for day, count in dau.items():
            diff[day + n] = diff.get(day + n, 0) - count
    wau = _running(changes[7], lo, d.last)
    mau = _running(changes[30], lo, d.last)
    return [
        {
            "day": day_date(x),
            "dau": int(dau.get(x, 0)),
            "wau": wau[x],
            "mau": mau[x],
        }
        for x in days
    ]


def _running(changes: dict[int, Any], first: int, last: int) -> dict[int, int]:
    """Prefix sums of a difference array over days first … last."""
    out, total = {}, 0
    for x in range(first, last + 1):
        total += int(changes.get(x, 0))
        out[x] = total
    return out


def lifecycle(store: Store, period: Period) -> list[dict[str, Any]]:
    """New / returning / resurrecting / dormant per week touching the period."""
    first_week = day_number(week_start(period.first_day))
    last_week = day_number(week_start(period.last_day))
    weeks = list(range(first_week, last_week + 1, 7))
    params = {"a": first_week - 7, "b": last_week + 6}
    pairs = (
        "SELECT DISTINCT u.person AS person, c.week AS week FROM product_user_days u "
        "JOIN product_calendar c ON c.day = u.day WHERE u.day >= :a AND u.day <= :b"
    )
    with store.session() as s:
        guard_timezone(s)
        active = dict(
            s.execute(text(f"SELECT week, COUNT(*) FROM ({pairs}) pw GROUP BY week"), params).all()
        )
        returning = dict(
            s.execute(
                text(
                    f"WITH pw AS ({pairs}) SELECT a.week, COUNT(*) FROM pw a JOIN pw b "
                    "ON b.person = a.person AND b.week = a.week - 7 GROUP BY a.week"
                ),
                params,
            ).all()
        )
        new = dict(
            s.execute(
                text(
                    "SELECT c.week, COUNT(*) FROM product_users u JOIN product_calendar c "
                    "ON c.day = u.first_active_day WHERE u.first_active_day >= :a "
                    "AND u.first_active_day <= :b GROUP BY c.week"
                ),
                params,
            ).all()
        )
    out = []
    for w in weeks:
        a, r, n = int(active.get(w, 0)), int(returning.get(w, 0)), int(new.get(w, 0))
        out.append(
            {
                "week": day_date(w),
                "new": n,
                "returning": r,
                "resurrecting": a - n - r,
                "dormant": -(int(active.get(w - 7, 0)) - r),
                "complete": day_date(w) + timedelta(days=6) <= period.last_day,
            }
        )
    return out


def signups_daily(store: Store, period: Period) -> list[dict[str, Any]]:
    """Signups and activation per signup day."""
    d = Days.of(period)
    with store.session() as s:
        guard_timezone(s)
        act = activation(s, d)
    out = []
    for n in range(d.first, d.last + 1):
        signups, activated = act.by_day.get(n, (0, 0))
        out.append(
            {
                "day": day_date(n),
                "signups": signups,
                "activated": activated,
                "activation_rate": ratio(activated, signups),
            }
        )
    return out
