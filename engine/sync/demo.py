"""Demo sync history: three targets, a ~40-component model with a year of snapshots, and
90 days of jobs (retries on the outage days, settled conflicts, one open conflict).

The GitHub repository and Drive file of the demo targets do not exist, so the demo cannot
run real syncs: it records what the worker would have recorded (jobs, attempts, snapshots,
conflicts) through the same tables, and "Sync now" on a demo target fails honestly with the
missing-credentials message.
"""

from __future__ import annotations

import copy
import hashlib
import random
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine import demo
from engine.ingest import ImportReport, finish_batch, open_batch
from engine.store import Store
from engine.sync.document import canonical_json
from engine.sync.models import Attempt, ConflictRecord, Snapshot, SyncJob, SyncState, SyncTarget
from engine.sync.targets import DEFAULT_SCHEDULE, next_run

LAYERS = ("frontend", "gateway", "services", "data", "infrastructure", "security")
TECH = {
    "frontend": ["React", "TypeScript", "Vite", "Streamlit", "Tailwind"],
    "gateway": ["Envoy", "FastAPI", "GraphQL", "nginx"],
    "services": ["Python", "FastAPI", "Go", "gRPC", "Celery", "Node.js"],
    "data": ["PostgreSQL", "Redis", "DuckDB", "Kafka", "S3"],
    "infrastructure": ["Kubernetes", "Terraform", "GitHub Actions", "Prometheus"],
    "security": ["OAuth2", "Vault", "OIDC", "mTLS"],
}
NAMES = {
    "frontend": [
        "Web App",
        "Admin Console",
        "Docs Site",
        "Mobile Shell",
        "Status Page",
        "Marketing Site",
    ],
    "gateway": ["API Gateway", "Edge Proxy", "GraphQL Gateway", "Webhook Ingress", "Rate Limiter"],
    "services": [
        "Sync Engine",
        "Scheduler",
        "Billing",
        "Notifications",
        "Search",
        "Analytics",
        "Reports",
        "Projects",
        "Teams",
        "Audit",
        "Export",
        "Import",
    ],
    "data": [
        "Primary DB",
        "Cache",
        "Event Bus",
        "Warehouse",
        "Object Store",
        "Metrics Store",
        "Search Index",
    ],
    "infrastructure": ["Cluster", "CI", "Monitoring", "Logging", "Backups"],
    "security": ["Identity", "Secrets", "Key Management", "WAF"],
}
TARGETS = (
    ("platform", "acme/platform:docs/architecture.json@main", "manual", "pull_request"),
    ("mobile", "acme/mobile:architecture.json@main", "ai_studio_wins", "commit"),
    ("data", "acme/data-platform:model/architecture.json@main", "newest_wins", "commit"),
)


def _slug(name: str) -> str:
    return name.lower().replace(" ", "-")


def initial_model(rng: random.Random, size: int = 40) -> dict[str, Any]:
    """A layered model: dependencies point down the stack, as in a real system."""
    components: list[dict[str, Any]] = []
    pool = [(layer, name) for layer in LAYERS for name in NAMES[layer]]
    rng.shuffle(pool)
    chosen = sorted(pool[:size], key=lambda p: LAYERS.index(p[0]))
    for layer, name in chosen:
        cid = _slug(name)
        later = [_slug(n) for lay, n in chosen if LAYERS.index(lay) > LAYERS.index(layer)]
        deps = rng.sample(later, k=min(len(later), rng.randint(0, 3))) if later else []
        components.append(
            {
                "id": cid,
                "name": name,
                "version": f"{rng.randint(0, 2)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}",
                "status": rng.choices(["active", "planned", "deprecated"], [0.85, 0.1, 0.05])[0],
                "layer": layer,
                "technologies": sorted(rng.sample(TECH[layer], k=rng.randint(1, 3))),
                "dependencies": sorted(deps),
                "github_path": f"services/{cid}/",
                "metadata": {},
            }
        )
    ids = {c["id"] for c in components}
    for c in components:
        c["dependencies"] = [d for d in c["dependencies"] if d in ids]
    connections = [
        {
            "from": c["id"],
            "to": d,
            "type": "data_flow",
            "protocol": rng.choice(["REST", "gRPC", "SQL", "AMQP"]),
        }
        for c in components
        for d in c["dependencies"]
    ]
    return {
        "version": "1",
        "metadata": {"name": "Bakhmach Business Hub"},
        "components": components,
        "connections": connections,
    }


def evolve(rng: random.Random, model: dict[str, Any]) -> dict[str, Any]:
    """One realistic change: a version bump, a new technology, or a status change."""
    model = copy.deepcopy(model)
    c = rng.choice(model["components"])
    roll = rng.random()
    if roll < 0.6:
        major, minor, patch = (int(x) for x in c["version"].split("."))
        c["version"] = (
            f"{major}.{minor}.{patch + 1}" if rng.random() < 0.7 else f"{major}.{minor + 1}.0"
        )
    elif roll < 0.85:
        options = [t for t in TECH[c["layer"]] if t not in c["technologies"]]
        if options:
            c["technologies"] = sorted([*c["technologies"], rng.choice(options)])
    else:
        c["status"] = rng.choice(["active", "deprecated", "inactive"])
    return model


class SyncDemo:
    name = "sync"

    def load(self, store: Store, spec: demo.DemoSpec, progress: demo.ProgressFn) -> int:
        rng = spec.rng(self.name)
        end = datetime.combine(spec.today, time(), UTC) + timedelta(days=1)
        rows = 0
        with store.session() as s:
            batch = open_batch(s, "sync", "demo", "demo company", is_demo=True)
            for i, (name, github, policy, mode) in enumerate(TARGETS):
                target = _target(s, name, github, policy, mode, end)
                model = initial_model(rng, 40 if i == 0 else rng.randint(20, 32))
                rows += _history(s, rng, spec, target, model, end)
                progress("sync history", i + 1, len(TARGETS))
            finish_batch(batch, ImportReport("sync", batch.id, new=rows))
        return rows

    def clear(self, session: Session) -> int:
        ids = list(session.scalars(select(SyncTarget.id).where(SyncTarget.is_demo.is_(True))))
        for model in (ConflictRecord, Snapshot, SyncState):
            session.execute(delete(model).where(model.target_id.in_(ids)))
        jobs = select(SyncJob.id).where(SyncJob.target_id.in_(ids))
        session.execute(delete(Attempt).where(Attempt.job_id.in_(jobs)))
        session.execute(delete(SyncJob).where(SyncJob.target_id.in_(ids)))
        return session.execute(delete(SyncTarget).where(SyncTarget.id.in_(ids))).rowcount or 0


def _target(
    s: Session, name: str, github: str, policy: str, mode: str, end: datetime
) -> SyncTarget:
    owner_repo, rest = github.split(":", 1)
    owner, repo = owner_repo.split("/")
    path, branch = rest.split("@")
    target = SyncTarget(
        name=name,
        github_owner=owner,
        github_repo=repo,
        github_path=path,
        github_branch=branch,
        drive_file_id=f"1demo{hashlib.sha1(name.encode()).hexdigest()[:24]}",
        policy=policy,
        write_mode=mode,
        schedule=DEFAULT_SCHEDULE,
        paused=False,
        next_run_at=next_run(DEFAULT_SCHEDULE, datetime.now(UTC)),
        is_demo=True,
        created_at=end - timedelta(days=365),
    )
    s.add(target)
    s.flush()
    return target


def _snapshot(
    s: Session,
    target: SyncTarget,
    model: dict[str, Any],
    at: datetime,
    job_id: int | None,
    rng: random.Random,
) -> None:
    text = canonical_json(model)
    s.add(
        Snapshot(
            target_id=target.id,
            job_id=job_id,
            document=text,
            sha256=hashlib.sha256(text.encode()).hexdigest(),
            github_ref=f"{rng.getrandbits(160):040x}",
            github_commit=f"{rng.getrandbits(160):040x}",
            drive_revision=f"0B{rng.getrandbits(64):x}",
            created_at=at,
        )
    )


def _history(
    s: Session,
    rng: random.Random,
    spec: demo.DemoSpec,
    target: SyncTarget,
    model: dict[str, Any],
    end: datetime,
) -> int:
    rows = 0
    start = end - timedelta(days=365)
    job_window = end - timedelta(days=90)
    _snapshot(s, target, model, start, None, rng)
    at = start
    while at < job_window:  # weekly model changes before job history begins
        at += timedelta(days=7)
        model = evolve(rng, model)
        _snapshot(s, target, model, at, None, rng)
        rows += 1
    outage_days = {o[0].date() for o in spec.outages}
    opened = False
    at = job_window
    while at < end - timedelta(hours=6):
        at += timedelta(hours=6)
        outage = at.date() in outage_days
        changed = rng.random() < 0.15
        attempts = 1 + (rng.randint(1, 3) if outage or rng.random() < 0.03 else 0)
        fetch = rng.lognormvariate(4.7, 0.35)
        merge = rng.lognormvariate(1.0, 0.5) if changed else 0.4
        write = rng.lognormvariate(5.3, 0.3) if changed else 0.0
        failed = outage and rng.random() < 0.3
        conflict = changed and not failed and rng.random() < 0.08
        # Under manual only the latest conflict is still waiting; older ones were resolved.
        still_open = conflict and target.policy == "manual" and end - at < timedelta(days=4)
        status = "failed" if failed else "conflict" if still_open else "succeeded"
        job = SyncJob(
            target_id=target.id,
            status=status,
            trigger=rng.choices(["schedule", "webhook", "manual"], [0.7, 0.2, 0.1])[0],
            created_at=at,
            started_at=at + timedelta(seconds=1),
            finished_at=at + timedelta(seconds=2 + attempts * 60),
            next_attempt_at=at,
            attempt_count=attempts,
            fetch_ms=fetch,
            merge_ms=merge,
            write_ms=write,
            added=0,
            changed=1 if changed else 0,
            removed=0,
            conflicts=1 if conflict else 0,
            wrote_github=changed,
            wrote_drive=changed,
        )
        s.add(job)
        s.flush()
        for n in range(1, attempts + 1):
            last = n == attempts
            ok = last and not failed
            s.add(
                Attempt(
                    job_id=job.id,
                    number=n,
                    status=status if last else "failed",
                    origin=None if ok else rng.choice(["github", "drive"]),
                    type=None if ok else "unavailable",
                    retryable=None if ok else True,
                    message=None if ok else "GitHub answered 502 Bad Gateway; will retry",
                    worker="demo-worker",
                    started_at=at + timedelta(seconds=n * 60),
                    finished_at=at + timedelta(seconds=n * 60 + 1),
                )
            )
        if changed and not failed:
            before = model
            model = evolve(rng, model)
            _snapshot(s, target, model, job.finished_at or at, job.id, rng)
            if conflict:
                _conflict(s, rng, target, job, before, model, still_open)
                opened = opened or still_open
        rows += 1 + attempts
    if target.policy == "manual" and not opened:  # one conflict waits in the queue
        job.status, job.conflicts = "conflict", 1
        _conflict(s, rng, target, job, model, model, open_=True)
    return rows


def _conflict(
    s: Session,
    rng: random.Random,
    target: SyncTarget,
    job: SyncJob,
    before: dict[str, Any],
    after: dict[str, Any],
    open_: bool,
) -> None:
    """A version both sides bumped differently: open, operator-applied or policy-settled."""
    manual = target.policy == "manual"
    c = rng.choice(after["components"])
    base = next((b for b in before["components"] if b["id"] == c["id"]), c)
    major, minor, patch = (int(x) for x in base["version"].split("."))
    other = f"{major}.{minor}.{patch + 2}"
    github = c["version"] if c["version"] != base["version"] else f"{major}.{minor}.{patch + 1}"
    s.add(
        ConflictRecord(
            target_id=target.id,
            job_id=job.id,
            path=f"/components/{c['id']}/version",
            component_id=c["id"],
            field="version",
            base=base["version"],
            github=github,
            ai_studio=other,
            policy=target.policy,
            status="open" if open_ else "applied" if manual else "settled",
            resolution=None if open_ else "ai_studio",
            resolved_value=None if open_ else other,
            resolved_by=None if open_ else "ana@acme.test" if manual else f"policy:{target.policy}",
            resolved_at=None if open_ else job.finished_at,
            created_at=job.finished_at or job.created_at,
        )
    )


demo.register(SyncDemo())
