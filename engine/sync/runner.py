"""One attempt of a sync job: read both sides, validate, merge, write, then commit.

Order matters for "no edit is ever lost":
1. Nothing is written before both documents and the merged result validate.
2. GitHub writes are compare-and-swap on the blob sha; a stale sha means re-read, re-merge.
3. Drive has no compare-and-swap: an edit overwritten between our check and our write comes
   back as `LostUpdate` and is rebased onto what we read next, then written again.
4. The base snapshot and connector markers are committed only after both sides hold the
   merged document. A worker killed in between leaves the old base, so the next attempt
   sees its own half-done write as a one-sided change and completes it (idempotent).
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from engine.config import Settings, get_settings
from engine.connectors.base import (
    Connector,
    ConnectorError,
    LostUpdate,
    ReadResult,
    StaleMarker,
    VersionMarker,
)
from engine.store import Store
from engine.store.base import utcnow
from engine.sync import breaker
from engine.sync.backoff import retry_delay
from engine.sync.document import (
    DocumentError,
    canonical_json,
    component_sort_key,
    connection_sort_key,
    parse_document,
)
from engine.sync.merge import DELETED, MergeResult, merge
from engine.sync.models import Attempt, ConflictRecord, Snapshot, SyncJob, SyncState, SyncTarget
from engine.sync.validate import validate

log = logging.getLogger(__name__)

MAX_ROUNDS = 4  # re-read/re-merge rounds within one attempt when a side moves under us
EMPTY_DOCUMENT: dict[str, Any] = {
    "version": "1",
    "metadata": {},
    "components": [],
    "connections": [],
}


@dataclass
class Connectors:
    github: Connector
    drive: Connector

    def close(self) -> None:
        self.github.close()
        self.drive.close()


ConnectorFactory = Callable[[SyncTarget, Settings], Connectors]


def connectors_from_settings(target: SyncTarget, settings: Settings) -> Connectors:
    """The real GitHub and Drive connectors for a target, from the configured credentials."""
    from engine.connectors.base import AuthError
    from engine.connectors.drive import DriveConnector
    from engine.connectors.github import GitHubConnector
    from engine.connectors.google_auth import token_provider_from_settings

    if settings.github_token is None:
        raise AuthError(
            "no GitHub token: set HUB_GITHUB_TOKEN to a token with contents and "
            "pull-request access to " + f"{target.github_owner}/{target.github_repo}",
            origin="github",
            type="credentials",
        )
    tokens = token_provider_from_settings(
        service_account_file=settings.google_service_account_file,
        access_token=(
            settings.google_access_token.get_secret_value()
            if settings.google_access_token
            else None
        ),
        token_url=settings.google_token_url,
    )
    return Connectors(
        GitHubConnector(
            settings.github_api_url,
            settings.github_token.get_secret_value(),
            target.github_owner,
            target.github_repo,
            target.github_path,
            target.github_branch,
            target.write_mode,  # type: ignore[arg-type]
            target.name,
        ),
        DriveConnector(settings.drive_api_url, target.drive_file_id, tokens),
    )


def _normalized(doc: dict[str, Any]) -> dict[str, Any]:
    """The document with its lists in canonical order: equal content compares equal."""
    out = dict(doc)
    if isinstance(out.get("components"), list):
        out["components"] = sorted(out["components"], key=component_sort_key)
    if isinstance(out.get("connections"), list):
        out["connections"] = sorted(out["connections"], key=connection_sort_key)
    return out


def _text(read: ReadResult, known_text: str | None) -> str | None:
    """What a side holds as text (kept so an unchanged side needs no download next time)."""
    if read.content is not None:
        return read.content.decode("utf-8", errors="replace")
    return known_text if read.exists else None


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while building large acyclic documents.

    Parsing 1,000+ components allocates enough containers to trigger several full
    collections that scan the whole heap; documents hold no cycles, so pausing is safe.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class LeaseKeeper:
    """Extends this worker's lease while an attempt runs, so a slow sync is not taken over.

    A worker that dies stops extending, and its lease lapses as designed.
    """

    def __init__(self, store: Store, job_id: int, worker_id: str, lease_seconds: int) -> None:
        self.store, self.job_id, self.worker_id = store, job_id, worker_id
        self.lease_seconds = lease_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"lease-{job_id}")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        from engine.sync.jobs import extend_lease

        while not self._stop.wait(max(1.0, self.lease_seconds / 3)):
            try:
                if not extend_lease(self.store, self.job_id, self.worker_id, self.lease_seconds):
                    return  # cancelled or taken over: the commit will notice and abandon
            except Exception:  # the store is briefly unreachable: try again next tick
                log.warning("could not extend the lease of sync job %s", self.job_id)


class SyncFailure(Exception):
    """A failure that is not a connector's: invalid documents or a merge that breaks rules."""

    def __init__(
        self, origin: str, type_: str, message: str, violations: list[dict[str, Any]]
    ) -> None:
        super().__init__(message)
        self.origin, self.type, self.message, self.violations = origin, type_, message, violations


@dataclass
class Outcome:
    """What an attempt achieved, committed in one transaction."""

    noop: bool
    result: MergeResult | None = None
    github_marker: VersionMarker | None = None
    drive_marker: VersionMarker | None = None
    github_text: str | None = None
    drive_text: str | None = None
    wrote_github: bool = False
    wrote_drive: bool = False
    pull_request_url: str | None = None
    github_commit: str | None = None
    timings: dict[str, float] = field(default_factory=lambda: {"fetch": 0, "merge": 0, "write": 0})


@dataclass
class JobContext:
    """What an attempt starts from; the base is parsed only when a merge needs it."""

    job_id: int
    target: SyncTarget
    base_text: str | None
    github_marker: VersionMarker | None
    drive_marker: VersionMarker | None
    github_text: str | None
    drive_text: str | None
    resolutions: dict[str, Any]
    _base: dict[str, Any] | None = None

    @property
    def base(self) -> dict[str, Any] | None:
        if self._base is None and self.base_text is not None:
            self._base = json.loads(self.base_text)
        return self._base


# --------------------------------------------------------------------------- the sync


def _document(side: str, read: ReadResult, known_text: str | None) -> tuple[dict[str, Any], bool]:
    """Parse one side's content (or the copy we hold when the source said "unchanged")."""
    if not read.exists:
        return dict(EMPTY_DOCUMENT), True
    content = read.content if read.content is not None else known_text
    if content is None:
        raise SyncFailure("internal", "state", f"{side} reported unchanged but no copy is kept", [])
    try:
        parsed = parse_document(content, source=side)
    except DocumentError as exc:
        where = exc.pointer or (f"line {exc.line}, column {exc.column}" if exc.line else "")
        raise SyncFailure(
            "validation",
            "invalid_document",
            f"{side} document cannot be read: {exc}",
            [
                {
                    "pointer": exc.pointer or "",
                    "rule": "document_readable",
                    "value": where,
                    "source": side,
                }
            ],
        ) from None
    return parsed.data, parsed.ids_derived


def _check(side: str, data: dict[str, Any], origin: str) -> None:
    violations = [v.to_dict() | {"source": side} for v in validate(data)]
    if violations:
        rules = sorted({v["rule"] for v in violations})
        raise SyncFailure(
            origin,
            "invalid_document",
            f"{side} document breaks {len(violations)} rule(s) ({', '.join(rules)}); "
            "nothing was written to either side: fix the document and sync again",
            violations,
        )


def sync_documents(
    ctx: JobContext,
    conns: Connectors,
    on_merged: Callable[[MergeResult], None] = lambda _result: None,
) -> Outcome:
    """Read, merge and write until both sides hold the merged document (or give up).

    `on_merged` runs after a merge validated and before anything is written: the job
    records the merge's conflicts there, so a losing value is on record even if the
    process dies between the two writes (after which both sides agree and a re-merge
    would no longer see the conflict).
    """
    outcome = Outcome(noop=False)
    t = outcome.timings
    lost_edits: list[tuple[dict[str, Any], dict[str, Any]]] = []  # (their base, their doc)
    gh_prev, dr_prev = ctx.github_marker, ctx.drive_marker
    for _round in range(MAX_ROUNDS):
        started = time.perf_counter()
        gh = conns.github.read(gh_prev if ctx.github_text is not None else None)
        dr = conns.drive.read(dr_prev if ctx.drive_text is not None else None)
        t["fetch"] += (time.perf_counter() - started) * 1000
        quiet = gh.unchanged and dr.unchanged and not ctx.resolutions and not lost_edits
        if quiet and ctx.base_text is not None:
            outcome.noop = True
            outcome.github_marker, outcome.drive_marker = gh.marker, dr.marker
            return outcome

        started = time.perf_counter()
        with paused_gc():  # parsing builds many small objects: no collector pauses
            gh_doc, gh_derived = _document("github", gh, ctx.github_text)
            dr_doc, dr_derived = _document("ai_studio", dr, ctx.drive_text)
            # What each side holds now: a side is written only when its content differs (ids
            # derived on read must be written back; a missing GitHub file must be created).
            gh_current = _normalized(gh_doc) if gh.exists and not gh_derived else None
            dr_current = _normalized(dr_doc) if not dr_derived else None
            for their_base, theirs in lost_edits:  # rebase edits our Drive write overwrote
                dr_doc = merge(
                    their_base, dr_doc, theirs, policy="ai_studio_wins"
                ).ai_studio_document
            _check("github", gh_doc, "validation")
            _check("ai_studio", dr_doc, "validation")
            result = merge(
                ctx.base,
                gh_doc,
                dr_doc,
                policy=ctx.target.policy,  # type: ignore[arg-type]
                github_modified_at=gh.modified_at,
                ai_studio_modified_at=dr.modified_at,
                resolutions=ctx.resolutions,
            )
            _check("github", result.github_document, "merge")
            # The two documents differ only while a conflict is open.
            if result.ai_studio_document != result.github_document:
                _check("ai_studio", result.ai_studio_document, "merge")
        t["merge"] += (time.perf_counter() - started) * 1000

        on_merged(result)
        started = time.perf_counter()
        message = f"hub sync: {ctx.target.name} (job {ctx.job_id})"
        gh_text = _text(gh, ctx.github_text)
        dr_text = _text(dr, ctx.drive_text)
        try:
            gh_marker = gh.marker
            if _normalized(result.github_document) != gh_current:
                gh_text = canonical_json(result.github_document)
                gh_marker = conns.github.write(gh_text.encode(), gh.marker, message)
                outcome.wrote_github = True
            dr_marker = dr.marker
            if _normalized(result.ai_studio_document) != dr_current:
                dr_text = canonical_json(result.ai_studio_document)
                dr_marker = conns.drive.write(dr_text.encode(), dr.marker, message)
                outcome.wrote_drive = True
        except StaleMarker:
            t["write"] += (time.perf_counter() - started) * 1000
            gh_prev = dr_prev = None  # re-read both in full
            ctx.github_text = ctx.drive_text = None
            continue
        except LostUpdate as lost:
            t["write"] += (time.perf_counter() - started) * 1000
            content = lost.overwritten
            if content is None:  # the write landed but the check for other writers failed
                content = conns.drive.recover_overwritten(lost.expected, lost.marker)  # type: ignore[attr-defined]
            if content is None:
                continue
            overwritten = parse_document(content, source="ai_studio (overwritten)")
            lost_edits.append((dr_doc, overwritten.data))
            outcome.wrote_drive = True
            gh_prev = dr_prev = None
            ctx.github_text = ctx.drive_text = None
            continue
        t["write"] += (time.perf_counter() - started) * 1000
        outcome.result = result
        outcome.github_marker, outcome.drive_marker = gh_marker, dr_marker
        outcome.github_text, outcome.drive_text = gh_text, dr_text
        if outcome.wrote_github:
            outcome.github_commit = getattr(conns.github, "last_commit_sha", None)
        pr = getattr(conns.github, "pull_request", None)
        outcome.pull_request_url = getattr(pr, "html_url", None) or getattr(pr, "url", None)
        return outcome
    raise StaleMarker(
        f"the documents kept changing during {MAX_ROUNDS} read-merge-write rounds; will retry",
        origin="github",
    )


# --------------------------------------------------------------------------- the job


def run_claimed_job(
    store: Store,
    job_id: int,
    worker_id: str,
    factory: ConnectorFactory | None = None,
    settings: Settings | None = None,
    rng: random.Random | None = None,
) -> str:
    """Run one attempt of a job this worker has claimed; returns the job's status after it."""
    settings = settings or get_settings()
    factory = factory or connectors_from_settings  # looked up now: tests swap in fakes
    with store.session() as s:
        job = s.get(SyncJob, job_id)
        if job is None or job.lease_owner != worker_id or job.status != "running":
            return job.status if job else "missing"
        target = s.get(SyncTarget, job.target_id)
        assert target is not None
        for connector in breaker.CONNECTORS:
            until = breaker.blocked_until(s, connector)
            if until is not None:  # the service is down: wait without spending an attempt
                job.status, job.next_attempt_at, job.lease_owner = "queued", until, None
                return "queued"
        ctx = _context(s, job, target)
        job.attempt_count += 1
        attempt = Attempt(
            job_id=job.id,
            number=job.attempt_count,
            status="running",
            worker=worker_id,
            started_at=utcnow(),
        )
        s.add(attempt)
        s.flush()
        attempt_id = attempt.id
        s.expunge(target)

    conns: Connectors | None = None
    keeper = LeaseKeeper(store, job_id, worker_id, settings.sync_lease_seconds)
    try:
        keeper.start()
        conns = factory(target, settings)

        def record(result: MergeResult) -> None:
            with store.session() as s:
                _record_conflicts(s, ctx, job_id, result, utcnow(), final=False)

        outcome = sync_documents(ctx, conns, record)
    except ConnectorError as exc:
        return _fail(
            store,
            job_id,
            attempt_id,
            settings,
            rng,
            exc.origin,
            exc.type,
            exc.retryable,
            exc.message,
            [],
            exc.retry_after,
            service_down=exc.type in ("unavailable", "protocol"),
        )
    except SyncFailure as exc:
        return _fail(
            store,
            job_id,
            attempt_id,
            settings,
            rng,
            exc.origin,
            exc.type,
            False,
            exc.message,
            exc.violations,
            None,
        )
    except Exception as exc:  # a bug: keep the job bounded by max attempts, say what broke
        log.exception("sync job %s attempt failed unexpectedly", job_id)
        return _fail(
            store,
            job_id,
            attempt_id,
            settings,
            rng,
            "internal",
            type(exc).__name__,
            True,
            f"internal error: {type(exc).__name__}: {exc}",
            [],
            None,
        )
    finally:
        keeper.stop()
        if conns is not None:
            conns.close()
    return _succeed(store, job_id, attempt_id, ctx, outcome, worker_id)


def _context(s: Any, job: SyncJob, target: SyncTarget) -> JobContext:
    state = s.get(SyncState, target.id) or SyncState(target_id=target.id)
    base = s.scalar(
        select(Snapshot.document)
        .where(Snapshot.target_id == target.id)
        .order_by(Snapshot.id.desc())
        .limit(1)
    )
    resolved = s.scalars(
        select(ConflictRecord).where(
            ConflictRecord.target_id == target.id, ConflictRecord.status == "resolved"
        )
    )
    return JobContext(
        job_id=job.id,
        target=target,
        base_text=base,
        github_marker=VersionMarker.from_json(state.github_marker) if state.github_marker else None,
        drive_marker=VersionMarker.from_json(state.drive_marker) if state.drive_marker else None,
        github_text=state.github_document,
        drive_text=state.drive_document,
        resolutions={c.path: _resolution_value(c) for c in resolved},
    )


def _resolution_value(conflict: ConflictRecord) -> Any:
    """The operator's choice as the merge wants it (DELETED when the choice is a deletion)."""
    if conflict.resolution == conflict.deleted_on and conflict.deleted_on is not None:
        return DELETED
    if conflict.resolution == "base" and conflict.base is None:
        return DELETED
    return conflict.resolved_value


def _succeed(
    store: Store, job_id: int, attempt_id: int, ctx: JobContext, out: Outcome, worker_id: str
) -> str:
    now = utcnow()
    with store.session() as s:
        job = s.get(SyncJob, job_id)
        attempt = s.get(Attempt, attempt_id)
        assert job is not None and attempt is not None
        if job.status != "running" or job.lease_owner != worker_id:  # cancelled or taken over
            attempt.status, attempt.finished_at = "abandoned", now
            attempt.message = f"job became {job.status} while this attempt ran"
            return job.status
        job.fetch_ms = out.timings["fetch"]
        job.merge_ms = out.timings["merge"]
        job.write_ms = out.timings["write"]
        job.wrote_github, job.wrote_drive = out.wrote_github, out.wrote_drive
        status = "succeeded"
        if out.noop and s.scalar(
            select(ConflictRecord.id)
            .where(ConflictRecord.target_id == ctx.target.id, ConflictRecord.status == "open")
            .limit(1)
        ):
            status = "conflict"  # nothing new, but the open conflict still waits for someone
        if not out.noop:
            result = out.result
            assert result is not None
            job.added = result.counts.get("added", 0)
            job.changed = result.counts.get("changed", 0)
            job.removed = result.counts.get("removed", 0)
            job.conflicts = len(result.conflicts)
            _record_conflicts(s, ctx, job.id, result, now, final=True)
            if result.unresolved:
                status = "conflict"
            base_text = canonical_json(result.base_document)
            previous = s.scalar(
                select(Snapshot.sha256)
                .where(Snapshot.target_id == ctx.target.id)
                .order_by(Snapshot.id.desc())
                .limit(1)
            )
            digest = hashlib.sha256(base_text.encode()).hexdigest()
            if digest != previous:
                s.add(
                    Snapshot(
                        target_id=ctx.target.id,
                        job_id=job.id,
                        document=base_text,
                        sha256=digest,
                        github_ref=out.github_marker.sha if out.github_marker else None,
                        github_commit=out.github_commit,
                        drive_revision=out.drive_marker.head_revision_id
                        if out.drive_marker
                        else None,
                        created_at=now,
                    )
                )
        state = s.get(SyncState, ctx.target.id)
        if state is None:
            state = SyncState(target_id=ctx.target.id)
            s.add(state)
        state.github_marker = out.github_marker.to_json() if out.github_marker else None
        state.drive_marker = out.drive_marker.to_json() if out.drive_marker else None
        if out.github_text is not None:
            state.github_document, state.drive_document = out.github_text, out.drive_text
        if out.pull_request_url:
            state.pull_request_url = out.pull_request_url
        state.updated_at = now
        for connector in breaker.CONNECTORS:
            breaker.record_success(s, connector)
        job.status, job.finished_at, job.lease_owner = status, now, None
        attempt.status, attempt.finished_at = status, now
        if out.noop:
            attempt.message = "nothing changed on either side; nothing written"
        return status


def _record_conflicts(
    s: Any, ctx: JobContext, job_id: int, result: MergeResult, now: Any, *, final: bool
) -> None:
    """Keep every conflict on record, once.

    Called before writing (`final=False`) and again after both sides hold the result
    (`final=True`), which also applies operator resolutions and closes open records whose
    conflict is gone.
    """
    existing = {
        c.path: c
        for c in s.scalars(
            select(ConflictRecord).where(
                ConflictRecord.target_id == ctx.target.id,
                ConflictRecord.status.in_(("open", "resolved")),
            )
        )
    }
    settled_this_job = {
        (c.path, json.dumps(c.github, sort_keys=True), json.dumps(c.ai_studio, sort_keys=True))
        for c in s.scalars(
            select(ConflictRecord).where(
                ConflictRecord.target_id == ctx.target.id,
                ConflictRecord.job_id == job_id,
                ConflictRecord.status == "settled",
            )
        )
    }
    seen: set[str] = set()
    for conflict in result.conflicts:
        seen.add(conflict.path)
        record = existing.get(conflict.path)
        if conflict.resolution == "operator" and record is not None:
            if final:
                record.status, record.job_id = "applied", job_id
            continue
        if conflict.resolution is None and record is not None and record.status == "open":
            record.base, record.github, record.ai_studio = (
                conflict.base,
                conflict.github,
                conflict.ai_studio,
            )
            record.job_id = job_id
            continue
        key = (
            conflict.path,
            json.dumps(conflict.github, sort_keys=True),
            json.dumps(conflict.ai_studio, sort_keys=True),
        )
        if conflict.resolution is not None and key in settled_this_job:
            continue  # recorded by an earlier round of this job
        settled_this_job.add(key)
        s.add(
            ConflictRecord(
                target_id=ctx.target.id,
                job_id=job_id,
                path=conflict.path,
                component_id=conflict.component_id,
                field=conflict.field,
                base=conflict.base,
                github=conflict.github,
                ai_studio=conflict.ai_studio,
                deleted_on=conflict.deleted_on,
                policy=ctx.target.policy,
                status="open" if conflict.resolution is None else "settled",
                resolution=conflict.resolution,
                resolved_value=conflict.resolved_value,
                resolved_by=None if conflict.resolution is None else f"policy:{ctx.target.policy}",
                resolved_at=None if conflict.resolution is None else now,
                created_at=now,
            )
        )
    if not final:
        s.flush()
        return
    for path, record in existing.items():
        if path in seen:
            continue
        # The sides agree now (someone edited one to match) or the operator's choice was
        # overtaken by a newer edit: the record stays, marked for what happened.
        record.status = "superseded" if record.status == "resolved" else "settled"
        if record.resolution is None:
            record.resolution, record.resolved_by, record.resolved_at = "converged", "sync", now


def _fail(
    store: Store,
    job_id: int,
    attempt_id: int,
    settings: Settings,
    rng: random.Random | None,
    origin: str,
    type_: str,
    retryable: bool,
    message: str,
    violations: list[dict[str, Any]],
    retry_after: float | None,
    service_down: bool = False,
) -> str:
    now = utcnow()
    with store.session() as s:
        job = s.get(SyncJob, job_id)
        attempt = s.get(Attempt, attempt_id)
        assert job is not None and attempt is not None
        attempt.status, attempt.finished_at = "failed", now
        attempt.origin, attempt.type, attempt.retryable = origin, type_, retryable
        attempt.message, attempt.violations = message, violations or None
        if job.status != "running" or job.lease_owner != attempt.worker:
            return job.status
        if service_down and origin in breaker.CONNECTORS:
            breaker.record_failure(s, origin, message)
        if retryable and job.attempt_count < settings.sync_max_attempts:
            delay = retry_delay(
                job.attempt_count,
                initial=settings.sync_retry_initial_seconds,
                base=settings.sync_retry_base,
                maximum=settings.sync_retry_max_seconds,
                server_wait=retry_after,
                rng=rng,
            )
            job.status, job.lease_owner = "queued", None
            job.next_attempt_at = now + timedelta(seconds=delay)
            return "queued"
        job.status, job.finished_at, job.lease_owner = "failed", now, None
        _pause_after_repeated_failures(s, job.target_id, settings, message)
        return "failed"


def _pause_after_repeated_failures(s: Any, target_id: int, settings: Settings, last: str) -> None:
    limit = settings.sync_pause_after_failures
    recent = list(
        s.scalars(
            select(SyncJob.status)
            .where(SyncJob.target_id == target_id, SyncJob.finished_at.is_not(None))
            .order_by(SyncJob.id.desc())
            .limit(limit)
        )
    )
    if len(recent) == limit and all(status == "failed" for status in recent):
        target = s.get(SyncTarget, target_id)
        target.paused = True
        target.paused_reason = f"paused after {limit} consecutive failed syncs; last: {last}"
