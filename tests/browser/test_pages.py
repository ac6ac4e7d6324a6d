"""Start `hub up` for real and open every page in headless Chromium.

Skipped (with the reason) only where Debian's chromium is absent. Screenshots land in
artifacts/screenshots/, and the Overview's also in docs/screenshots/ for the README.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from dashboard.navigation import OVERVIEW, all_pages

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = ROOT / "artifacts" / "screenshots"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, proc: subprocess.Popen[bytes], seconds: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if proc.poll() is not None:
            raise AssertionError(f"hub up exited early with {proc.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return time.monotonic() - start
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise AssertionError(f"{url} not up after {seconds} s")


@pytest.fixture(scope="module")
def running_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("browser-hub")
    port, api_port = _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env |= {"HUB_HOME": str(home), "HUB_CONFIG_FILE": str(home / "hub.toml")}
    log = (home / "hub.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "engine.cli",
            "up",
            "--port",
            str(port),
            "--api-port",
            str(api_port),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_for(f"http://127.0.0.1:{api_port}/readyz", proc, 180)
        _wait_for(f"http://127.0.0.1:{port}/_stcore/health", proc, 60)
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
    assert proc.returncode == 0, (home / "hub.log").read_text()[-3000:]


def test_every_page_renders_without_errors(running_hub: str) -> None:
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 2200})
        for spec in all_pages():
            path = "" if spec is OVERVIEW else spec.url_path  # the default page lives at /
            page.goto(f"{running_hub}/{path}")
            page.wait_for_selector(
                '[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=60_000
            )
            page.wait_for_selector("h1", timeout=30_000)
            assert page.locator('[data-testid="stException"]').count() == 0, spec.title
            assert page.get_by_text("Page not found").count() == 0, spec.url_path
            assert spec.title in page.locator("h1").first.inner_text()
            if spec.url_path == "overview":  # tiles render after the header on a busy box
                page.wait_for_selector('[data-testid="stMetric"]', timeout=60_000)
                assert page.locator('[data-testid="stMetric"]').count() > 0
            page.wait_for_timeout(1000)  # let charts (sparklines, plotly) finish drawing
            shot = SHOTS / f"{spec.url_path}.png"
            page.screenshot(path=str(shot), full_page=True)
            if spec.url_path == "overview":
                (ROOT / "docs" / "screenshots").mkdir(parents=True, exist_ok=True)
                shutil.copy(shot, ROOT / "docs" / "screenshots" / "overview.png")
        browser.close()
