"""Overview re-render time with a warm cache on the demo company (scale M).

    .venv/bin/python bench/overview_bench.py [--runs 20] [--scale M]

Loads the demo into a temporary store, runs the real entry point on the Overview once to
warm `st.cache_data`, then times N further script runs (AppTest executes the page exactly as
the server does, so this is server time per run, without the browser).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from engine.access.principal import SYSTEM

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--scale", default="M")
    args = parser.parse_args()
    os.environ["HUB_HOME"] = tempfile.mkdtemp()
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    # The dashboard signs in the local admin only when bound to loopback (docs/access.md).
    st.config.set_option("server.address", "127.0.0.1")

    from engine import demo
    from engine.store import get_store
    from engine.store.migrate import upgrade

    store = get_store()
    upgrade(store)
    started = time.perf_counter()
    rows = demo.load(store, SYSTEM, demo.make_spec(args.scale, 42))
    print(f"demo scale {args.scale} loaded in {time.perf_counter() - started:.1f} s: {rows}")
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=120)
    started = time.perf_counter()
    at.run()
    print(
        f"cold Overview run: {(time.perf_counter() - started) * 1000:.0f} ms "
        f"({len(at.metric)} tiles, {len(at.exception)} exceptions)"
    )
    times = []
    for _ in range(args.runs):
        started = time.perf_counter()
        at.run()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    print(
        f"warm Overview re-render over {args.runs} runs: median {statistics.median(times):.0f} "
        f"ms, p95 {times[int(0.95 * (len(times) - 1))]:.0f} ms, max {times[-1]:.0f} ms"
    )


if __name__ == "__main__":
    main()
