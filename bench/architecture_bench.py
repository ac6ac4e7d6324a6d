"""Architecture view benchmark: prints figures (targets from issue 8, no assertions).

Run: .venv/bin/python bench/architecture_bench.py

* 2,000-component model (6 layers, ~3 dependencies each, a connection per dependency):
  build the graph and the 3D and 2D figures and serialize them the way st.plotly_chart
  sends them (`plotly.io.to_json(fig, validate=False)`). Target: ≤ 1 s per rendered view.
* Two 10,000-component versions (200 components changed, 10 removed, 10 added): the diff
  alone and diff including json.loads of both stored snapshots. Target: ≤ 200 ms.
"""

from __future__ import annotations

import copy
import json
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

import plotly.io as pio

from engine.architecture.diff import diff_models
from engine.architecture.figures import figure_2d, figure_3d
from engine.architecture.graph import KNOWN_LAYERS, build_graph
from engine.architecture.history import load_snapshot
from engine.sync.document import canonical_json

TECHNOLOGIES = ("FastAPI", "PostgreSQL", "Redis", "Kafka", "OAuth2", "React", "Go", "gRPC")
PROTOCOLS = ("REST", "gRPC", "SQL", "AMQP")


def make_model(size: int, rng: random.Random) -> dict[str, Any]:
    """A layered model: each component depends on up to three in lower layers."""
    per_layer = size // len(KNOWN_LAYERS)
    ids_by_layer: list[list[str]] = []
    components = []
    for level, layer in enumerate(KNOWN_LAYERS):
        count = per_layer if level < len(KNOWN_LAYERS) - 1 else size - per_layer * level
        ids_by_layer.append([f"{layer[:3]}-{i:05d}" for i in range(count)])
    connections = []
    for level, layer in enumerate(KNOWN_LAYERS):
        below = [i for ids in ids_by_layer[level + 1 :] for i in ids]
        for cid in ids_by_layer[level]:
            deps = sorted(set(rng.sample(below, k=min(len(below), rng.randint(0, 3)))))
            components.append(
                {
                    "id": cid,
                    "name": f"Component {cid}",
                    "version": f"{rng.randrange(1, 4)}.{rng.randrange(10)}.{rng.randrange(10)}",
                    "status": rng.choices(
                        ["active", "planned", "deprecated", "inactive"], [85, 7, 5, 3]
                    )[0],
                    "layer": layer,
                    "technologies": sorted(rng.sample(TECHNOLOGIES, 2)),
                    "dependencies": deps,
                    "github_path": f"services/{cid}/",
                    "metadata": {"owner": f"team-{len(components) % 17}"},
                }
            )
            connections.extend(
                {"from": cid, "to": d, "type": "data_flow", "protocol": rng.choice(PROTOCOLS)}
                for d in deps
            )
    return {
        "version": "1",
        "metadata": {"name": "bench"},
        "components": components,
        "connections": connections,
    }


def timed(fn: Callable[[], Any], runs: int) -> tuple[list[float], Any]:
    """Run `fn` `runs` times; the previous run's result is freed outside the timing."""
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - start) * 1000)
        result = out
    return times, result


def report(label: str, times: list[float], target_ms: float | None = None) -> None:
    p50 = statistics.median(times)
    worst = max(times)
    verdict = ""
    if target_ms is not None:
        verdict = f"  target ≤ {target_ms:.0f} ms: {'OK' if worst <= target_ms else 'MISSED'}"
    print(f"{label:<58} p50 {p50:8.1f} ms  max {worst:8.1f} ms{verdict}")


def bench_render(size: int = 2000, runs: int = 5) -> None:
    model = make_model(size, random.Random(8))
    start = time.perf_counter()
    pio.to_json(figure_3d(build_graph(model)), validate=False)
    pio.to_json(figure_2d(build_graph(model)), validate=False)
    cold = (time.perf_counter() - start) * 1000
    print(f"first render in this process (plotly imports its validators): {cold:.0f} ms")
    print(f"model: {len(model['components'])} components, {len(model['connections'])} connections")

    def view(builder: Callable[..., Any], **kwargs: Any) -> int:
        graph = build_graph(model, search=kwargs.pop("search", None))
        fig = builder(graph, theme="dark", **kwargs)
        return len(pio.to_json(fig, validate=False))

    times, _ = timed(lambda: build_graph(model), runs)
    report("build_graph (layout, edges)", times)
    times, size3 = timed(lambda: view(figure_3d), runs)
    report("3D: graph + figure + to_json", times, 1000)
    times, size2 = timed(lambda: view(figure_2d), runs)
    report("2D: graph + figure + to_json", times, 1000)
    times, _ = timed(lambda: view(figure_3d, search="ser-00010"), runs)
    report("3D with a search highlight", times, 1000)
    times, _ = timed(lambda: (view(figure_3d), view(figure_2d)), runs)
    report("both views (the page draws 3D and 2D tabs)", times)
    print(f"payload: 3D {size3 / 1e6:.2f} MB, 2D {size2 / 1e6:.2f} MB of JSON")


def bench_diff(size: int = 10_000, runs: int = 9) -> None:
    rng = random.Random(10)
    old = make_model(size, rng)
    new = copy.deepcopy(old)
    for c in rng.sample(new["components"], 200):
        c["version"] = "9.9.9"
        c["technologies"] = [*c["technologies"], "Rust"]
    del new["components"][:10]
    new["components"].extend(
        {**copy.deepcopy(old["components"][-1]), "id": f"new-{i}", "name": f"New {i}"}
        for i in range(10)
    )
    old_text, new_text = canonical_json(old), canonical_json(new)
    times, diff = timed(lambda: diff_models(old, new), runs)
    print(f"diff: {diff.summary()}")
    report(f"diff of two {size:,}-component versions", times, 200)

    def load_and_diff() -> tuple[Any, ...]:
        a, b = load_snapshot(old_text), load_snapshot(new_text)
        return diff_models(a, b), a, b

    times, _ = timed(load_and_diff, runs)
    report("same, including loading both stored snapshots", times, 200)
    times, _ = timed(lambda: (json.loads(old_text), json.loads(new_text)), runs)
    report("(for contrast: plain json.loads of both, GC running)", times)


if __name__ == "__main__":
    bench_render()
    bench_diff()
