"""Merge benchmark: prints figures for the sync engine's pure core (no assertions).

Run: .venv/bin/python bench/merge_bench.py

* 1,000 components, 50 changed on each side (10 of them on both: conflicts and set merges):
  p50/p95 of merge() alone and of the whole pure pipeline (parse both sides, validate,
  merge, canonical_json of both outputs).
* 10,000 components, 500 changed on each side: time and tracemalloc peak of the same.
"""

from __future__ import annotations

import copy
import random
import statistics
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from engine.sync.document import canonical_json, parse_document
from engine.sync.merge import merge
from engine.sync.validate import validate

LAYERS = ("edge", "core", "data", "security", "analytics")
TECHNOLOGIES = ("FastAPI", "PostgreSQL", "Redis", "Kafka", "OAuth2", "React", "Go", "gRPC")


def make_document(size: int, rng: random.Random) -> dict[str, Any]:
    """A realistic document: every component depends on up to two earlier ones."""
    components = []
    connections = []
    for index in range(size):
        component_id = f"svc-{index:05d}"
        dependencies = (
            sorted({f"svc-{rng.randrange(index):05d}" for _ in range(2)}) if index else []
        )
        components.append(
            {
                "id": component_id,
                "name": f"Service {index}",
                "version": f"{rng.randrange(1, 4)}.{rng.randrange(10)}.{rng.randrange(10)}",
                "status": "active",
                "layer": rng.choice(LAYERS),
                "technologies": rng.sample(TECHNOLOGIES, 3),
                "dependencies": dependencies,
                "github_path": f"services/{component_id}/",
                "metadata": {"owner": f"team-{index % 17}"},
            }
        )
        connections.extend(
            {"from": component_id, "to": dependency, "type": "data_flow", "protocol": "REST"}
            for dependency in dependencies
        )
    return {
        "version": "1",
        "metadata": {"name": "bench"},
        "components": components,
        "connections": connections,
    }


def edit_side(document: dict[str, Any], targets: list[int], side: str, rng: random.Random) -> None:
    """Change one field and the technology set of each targeted component."""
    for index in targets:
        component = document["components"][index]
        component["version"] = f"9.{rng.randrange(100)}.0-{side.replace('_', '-')}"
        component["technologies"] = [*component["technologies"][1:], f"{side}-tech-{index}"]


def make_sides(size: int, changed: int, overlap: int, seed: int) -> tuple[dict, dict, dict]:
    rng = random.Random(seed)
    base = make_document(size, rng)
    github, ai_studio = copy.deepcopy(base), copy.deepcopy(base)
    picked = rng.sample(range(size), 2 * changed - overlap)
    edit_side(github, picked[:changed], "github", rng)
    edit_side(ai_studio, picked[changed - overlap :], "ai_studio", rng)
    return base, github, ai_studio


def timed(function: Callable[[], Any], runs: int) -> list[float]:
    durations = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        durations.append((time.perf_counter() - started) * 1000)
    return durations


def pipeline(base: dict, github_text: str, ai_studio_text: str) -> None:
    github = parse_document(github_text, source="github").data
    ai_studio = parse_document(ai_studio_text, source="ai_studio").data
    assert not validate(github) and not validate(ai_studio)
    result = merge(base, github, ai_studio, policy="ai_studio_wins")
    canonical_json(result.github_document)
    canonical_json(result.ai_studio_document)


def percentile(durations: list[float], share: float) -> float:
    ordered = sorted(durations)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def report_small() -> None:
    base, github, ai_studio = make_sides(1_000, changed=50, overlap=10, seed=1)
    github_text, ai_studio_text = canonical_json(github), canonical_json(ai_studio)
    result = merge(base, github, ai_studio, policy="manual")
    print(f"1,000 components, 50 changed each side: counts={result.counts}")
    for label, function in (
        ("merge", lambda: merge(base, github, ai_studio, policy="ai_studio_wins")),
        ("pipeline", lambda: pipeline(base, github_text, ai_studio_text)),
    ):
        durations = timed(function, runs=200)
        print(
            f"  {label:9} p50 {statistics.median(durations):7.2f} ms   "
            f"p95 {percentile(durations, 0.95):7.2f} ms"
        )


def report_large() -> None:
    base, github, ai_studio = make_sides(10_000, changed=500, overlap=100, seed=2)
    github_text, ai_studio_text = canonical_json(github), canonical_json(ai_studio)
    print("10,000 components, 500 changed each side (100 on both):")
    for label, function in (
        ("merge", lambda: merge(base, github, ai_studio, policy="ai_studio_wins")),
        ("pipeline", lambda: pipeline(base, github_text, ai_studio_text)),
    ):
        durations = timed(function, runs=5)
        tracemalloc.start()
        function()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"  {label:9} median {statistics.median(durations):7.1f} ms   "
            f"max {max(durations):7.1f} ms   peak {peak / 2**20:6.1f} MiB (tracemalloc)"
        )


if __name__ == "__main__":
    report_small()
    report_large()
