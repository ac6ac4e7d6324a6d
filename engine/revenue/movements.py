"""MRR movements per customer, derived from subscription states and kept in a table.

A customer's movements are a pure function of their subscription states, so when any event
for a customer arrives (in order or not) their movements are recomputed whole; that is
cheap (a customer has tens of events) and makes out-of-order delivery a non-issue.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine.revenue.bulk import insert_rows, one_of
from engine.revenue.models import MrrMovement, SubscriptionState

KINDS = ("new", "expansion", "reactivation", "contraction", "churn")
EVENT_RANK = {"created": 0, "deleted": 2}  # anything else (updated, paused, …) ranks 1
CHUNK = 500


@dataclass(frozen=True)
class StateRow:
    """The columns of a `SubscriptionState` that movements need, in sort order."""

    at: int
    rank: int
    seq: int
    subscription_id: str
    currency: str
    mrr: int
    ends_at: int | None


@dataclass(frozen=True)
class Movement:
    customer_id: str
    at: int
    currency: str
    kind: str
    amount: int  # signed micro-units
    mrr_after: int  # the customer's MRR in `currency` after this instant
    paying_delta: int
    subscription_ids: tuple[str, ...]


def event_rank(event_type: str) -> int:
    return EVENT_RANK.get(event_type.rsplit(".", 1)[-1], 1)


def subscription_timeline(states: Sequence[StateRow]) -> list[tuple[int, str, int]]:
    """(instant, currency, contribution) points of one subscription, in time order.

    A state holds from its event until the next one; a scheduled cancellation (`ends_at`)
    adds a drop to 0 at its time if no later event came first. An `ends_at` already past
    when the state was recorded means the state contributes nothing.
    """
    ordered = sorted(states, key=lambda s: (s.at, s.rank, s.seq))
    points: list[tuple[int, str, int]] = []
    for i, state in enumerate(ordered):
        if i + 1 < len(ordered) and ordered[i + 1].at == state.at:
            continue  # a later event in the same second supersedes this one
        mrr = state.mrr
        if state.ends_at is not None and state.ends_at <= state.at:
            mrr = 0
        points.append((state.at, state.currency, mrr))
        following = ordered[i + 1].at if i + 1 < len(ordered) else None
        if mrr and state.ends_at is not None and (following is None or state.ends_at < following):
            points.append((state.ends_at, state.currency, 0))
    return points


def customer_movements(customer_id: str, states: Iterable[StateRow]) -> list[Movement]:
    """Every MRR movement of one customer, netting all changes that share an instant."""
    by_sub: dict[str, list[StateRow]] = defaultdict(list)
    for state in states:
        by_sub[state.subscription_id].append(state)
    changes: dict[int, list[tuple[str, str, int]]] = defaultdict(list)
    for sub_id, sub_states in by_sub.items():
        for at, currency, mrr in subscription_timeline(sub_states):
            changes[at].append((sub_id, currency, mrr))

    current: dict[str, tuple[str, int]] = {}  # subscription → (currency, contribution)
    totals: dict[str, int] = defaultdict(int)
    ever_paid = False
    out: list[Movement] = []
    for at in sorted(changes):
        before = dict(totals)
        was_paying = any(v > 0 for v in before.values())
        touched: dict[str, set[str]] = defaultdict(set)
        for sub_id, currency, mrr in changes[at]:
            old_ccy, old = current.get(sub_id, (currency, 0))
            if old == mrr and old_ccy == currency:
                continue
            totals[old_ccy] -= old
            totals[currency] += mrr
            touched[old_ccy].add(sub_id)
            touched[currency].add(sub_id)
            current[sub_id] = (currency, mrr)
        is_paying = any(v > 0 for v in totals.values())
        first = True
        for currency in sorted(touched):
            delta = totals[currency] - before.get(currency, 0)
            if delta == 0:
                continue
            if not was_paying and is_paying:
                kind, paying = ("reactivation" if ever_paid else "new"), 1
            elif was_paying and not is_paying:
                kind, paying = "churn", -1
            else:
                kind, paying = ("expansion" if delta > 0 else "contraction"), 0
            out.append(
                Movement(
                    customer_id,
                    at,
                    currency,
                    kind,
                    delta,
                    totals[currency],
                    paying if first else 0,
                    tuple(sorted(touched[currency])),
                )
            )
            first = False
        ever_paid = ever_paid or is_paying
    return out


def recompute(session: Session, customer_ids: Iterable[str]) -> int:
    """Replace the stored movements of these customers; returns movements written."""
    written = 0
    connection = session.connection()  # Core rows: no ORM overhead on 10⁵–10⁶ rows
    columns = SubscriptionState.__table__.c
    for chunk in _chunks(sorted(set(customer_ids)), CHUNK):
        rows = connection.execute(
            select(
                columns.customer_id,
                columns.at,
                columns.rank,
                columns.seq,
                columns.subscription_id,
                columns.currency,
                columns.mrr,
                columns.ends_at,
            ).where(one_of(session, columns.customer_id, chunk))
        ).all()
        states: dict[str, list[StateRow]] = defaultdict(list)
        for row in rows:
            states[row[0]].append(StateRow(*row[1:]))
        movements = [m for c in chunk for m in customer_movements(c, states.get(c, []))]
        connection.execute(
            delete(MrrMovement.__table__).where(
                one_of(session, MrrMovement.__table__.c.customer_id, chunk)
            )
        )
        if movements:
            insert_rows(session, MrrMovement, [_row(m) for m in movements])
        written += len(movements)
    return written


def _row(m: Movement) -> dict[str, object]:
    return {
        "customer_id": m.customer_id,
        "at": m.at,
        "occurred_at": datetime.fromtimestamp(m.at, UTC),
        "currency": m.currency,
        "kind": m.kind,
        "amount": m.amount,
        "mrr_after": m.mrr_after,
        "paying_delta": m.paying_delta,
        "subscription_ids": ",".join(m.subscription_ids),
    }


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
