"""Customer voice: NPS and CSAT responses in (CSV, HTTP, demo), scores and comments out.

A response is identified by (respondent, kind, time): re-importing the same rows adds
nothing. A file with any bad row is rejected whole, naming each bad line.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.access import audit
from engine.access.principal import Principal
from engine.access.roles import Permission
from engine.errors import InputError
from engine.ingest import ImportReport, check_import, finish_batch, open_batch
from engine.observability import IMPORTED_ROWS
from engine.periods import Period
from engine.product.buckets import Grain, bucket_start
from engine.product.models import SurveyResponse
from engine.product.rollups import dialect_insert
from engine.product.segment import InvalidEvent, parse_timestamp
from engine.store import Store

KIND = "surveys"
COLUMNS = ("respondent_id", "kind", "score", "responded_at", "comment")
RANGES = {"nps": (0, 10), "csat": (1, 5)}
NPS_DEFINITION = (
    "NPS = % promoters (9–10) − % detractors (0–6) over all NPS responses in the period "
    "(passives 7–8 stay in the denominator); from −100 to 100."
)
CSAT_DEFINITION = "CSAT = share of CSAT responses scoring 4 or 5 on a 1–5 scale."
T = SurveyResponse.__table__


@dataclass(frozen=True)
class Response:
    respondent_id: str
    kind: str
    score: int
    responded_at: datetime
    comment: str | None

    def row(self, batch_id: int) -> dict[str, Any]:
        return {**self.__dict__, "batch_id": batch_id}


def parse_response(raw: dict[str, Any]) -> Response:
    """Validate one response (from a CSV row or a JSON object); raises `InvalidEvent`."""
    respondent = str(raw.get("respondent_id") or "").strip()
    if not respondent or len(respondent) > 200:
        raise InvalidEvent("respondent_id is required (at most 200 characters)")
    kind = str(raw.get("kind") or "").strip().lower()
    if kind not in RANGES:
        raise InvalidEvent(f"kind {raw.get('kind')!r} is unknown (nps or csat)")
    score_raw = raw.get("score")
    try:
        if isinstance(score_raw, (bool, float)):
            raise ValueError
        score = int(str(score_raw).strip())
    except (TypeError, ValueError):
        raise InvalidEvent(f"score {score_raw!r} is not a whole number") from None
    low, high = RANGES[kind]
    if not low <= score <= high:
        raise InvalidEvent(f"score {score} is out of range for {kind} ({low}–{high})")
    at = parse_timestamp(str(raw.get("responded_at") or ""), "responded_at")
    comment = raw.get("comment")
    comment = str(comment).strip() if comment not in (None, "") else None
    return Response(respondent, kind, score, at, comment or None)


def _store_responses(
    store: Store,
    actor: Principal,
    responses: list[Response],
    *,
    source: str,
    label: str,
    is_demo: bool,
) -> ImportReport:
    audit.guard(store, actor, Permission.data_import, "data.import", f"{KIND}: {label}")
    with store.session() as session:
        batch = open_batch(session, KIND, source, label, is_demo=is_demo)
        new = _insert(session, responses, batch.id)
        report = ImportReport(KIND, batch.id, new, len(responses) - new)
        # Files are audited; HTTP posts and the demo are streams, not acts (docs/access.md).
        finish_batch(batch, report, actor if source == "file" else None)
    IMPORTED_ROWS.labels(KIND, "new").inc(report.new)
    IMPORTED_ROWS.labels(KIND, "duplicate").inc(report.duplicates)
    return report


def _insert(session: Session, responses: list[Response], batch_id: int) -> int:
    new = 0
    ins = dialect_insert(session, T).on_conflict_do_nothing(
        index_elements=["respondent_id", "kind", "responded_at"]
    )
    for start in range(0, len(responses), 2000):
        part = responses[start : start + 2000]
        result = session.execute(ins.returning(T.c.id), [r.row(batch_id) for r in part])
        new += len(result.all())
    return new


def import_survey_file(
    store: Store, actor: Principal, path: str | Path, *, is_demo: bool = False
) -> ImportReport:
    """`hub import survey FILE.csv` with header respondent_id,kind,score,responded_at,comment."""
    path = Path(path)
    check_import(store, actor, KIND, str(path))
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return import_survey_text(
            store, actor, fh, label=str(path), is_demo=is_demo, where=path.name
        )


def import_survey_text(
    store: Store,
    actor: Principal,
    fh: io.TextIOBase | Any,
    *,
    label: str,
    is_demo: bool = False,
    where: str = "",
) -> ImportReport:
    reader = csv.DictReader(fh)
    missing = [c for c in COLUMNS[:4] if c not in (reader.fieldnames or [])]
    if missing:
        raise InputError(
            f"{where}: missing column(s) {', '.join(missing)} (header: {','.join(COLUMNS)})"
        )
    good: list[Response] = []
    bad: list[str] = []
    for row in reader:
        try:
            good.append(parse_response(row))
        except InvalidEvent as exc:
            bad.append(f"line {reader.line_num}: {exc}")
    if bad:
        shown = "; ".join(bad[:20])
        raise InputError(f"{where}: {len(bad)} bad row(s), nothing imported: {shown}")
    return _store_responses(
        store, actor, good, source="demo" if is_demo else "file", label=label, is_demo=is_demo
    )


def import_responses(
    store: Store,
    actor: Principal,
    responses: list[Response],
    *,
    source: str,
    label: str,
    is_demo: bool = False,
) -> ImportReport:
    return _store_responses(store, actor, responses, source=source, label=label, is_demo=is_demo)


def _rows(store: Store, period: Period) -> list[SurveyResponse]:
    with store.session() as s:
        return list(
            s.scalars(
                select(SurveyResponse)
                .where(
                    SurveyResponse.responded_at >= period.start_utc,
                    SurveyResponse.responded_at < period.end_utc,
                )
                .order_by(SurveyResponse.responded_at)
            )
        )


def scores(responses: list[tuple[str, int]]) -> dict[str, Any]:
    """The `hub kpi surveys` numbers from (kind, score) pairs."""
    nps = [score for kind, score in responses if kind == "nps"]
    csat = [score for kind, score in responses if kind == "csat"]
    promoters = sum(1 for x in nps if x >= 9)
    detractors = sum(1 for x in nps if x <= 6)
    return {
        "nps": 100 * (promoters - detractors) / len(nps) if nps else None,
        "nps_responses": len(nps),
        "promoters": promoters,
        "passives": len(nps) - promoters - detractors,
        "detractors": detractors,
        "csat": sum(1 for x in csat if x >= 4) / len(csat) if csat else None,
        "csat_responses": len(csat),
    }


def survey_summary(store: Store, period: Period) -> dict[str, Any]:
    return scores([(r.kind, r.score) for r in _rows(store, period)])


def has_responses(store: Store) -> bool:
    with store.session() as s:
        return s.execute(select(T.c.id).limit(1)).first() is not None


def trend(store: Store, period: Period, grain: Grain = "week") -> list[dict[str, Any]]:
    """NPS and CSAT per local bucket of the period (buckets without responses omitted)."""
    buckets: dict[date, list[tuple[str, int]]] = defaultdict(list)
    for r in _rows(store, period):
        buckets[bucket_start(r.responded_at.astimezone(period.tz).date(), grain)].append(
            (r.kind, r.score)
        )
    return [{"bucket": b, **scores(v)} for b, v in sorted(buckets.items())]


def distribution(store: Store, period: Period, kind: str = "nps") -> dict[int, int]:
    low, high = RANGES[kind]
    counts = Counter(r.score for r in _rows(store, period) if r.kind == kind)
    return {score: counts.get(score, 0) for score in range(low, high + 1)}


def latest_comments(store: Store, period: Period, limit: int = 50) -> list[dict[str, Any]]:
    rows = [r for r in _rows(store, period) if r.comment]
    return [
        {
            "responded_at": r.responded_at.astimezone(period.tz).isoformat(timespec="minutes"),
            "respondent_id": r.respondent_id,
            "kind": r.kind,
            "score": r.score,
            "comment": r.comment,
        }
        for r in reversed(rows[-limit:])
    ]
