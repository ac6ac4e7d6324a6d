"""`hub`: the command line for every process and every operator action.

Errors are one clear line on stderr and a meaningful exit code (1 failure, 2 bad input,
3 schema out of date); `--debug` shows the traceback instead.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from engine import demo as demo_mod
from engine.access.principal import Principal
from engine.config import get_settings
from engine.errors import HubError
from engine.observability import configure_logging
from engine.store import get_store
from engine.store.migrate import ensure_current, upgrade

app = typer.Typer(
    name="hub",
    help="Bakhmach Business Hub: KPIs, sync engine and launch control.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(soft_wrap=True)  # long lines stay whole: scripts grep them
err = Console(stderr=True, soft_wrap=True)
PROJECT_ROOT = Path(__file__).resolve().parents[1]
DASHBOARD_SCRIPT = PROJECT_ROOT / "dashboard" / "app.py"

_state: dict[str, Any] = {"debug": False, "as": None}

Host = Annotated[str, typer.Option(help="Interface to listen on.")]


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
    act_as: Annotated[
        str | None,
        typer.Option(
            "--as",
            envvar="HUB_ACT_AS",
            help="Act as this hub user (their role applies; audited under their name).",
        ),
    ] = None,
) -> None:
    _state["debug"] = debug
    _state["as"] = act_as
    configure_logging("DEBUG" if debug else get_settings().log_level)


def actor(store: Any, email: str | None = None) -> Principal:
    """Who this command acts as: `--as EMAIL`, else the trusted CLI admin (see docs/access.md)."""
    from engine.access.principal import cli_admin
    from engine.access.users import find_user, principal_for

    email = email or _state.get("as")
    if not email:
        return cli_admin()
    user = find_user(store, email)
    if user is None or user.disabled:
        raise HubError(f"--as: no active hub user {email!r} (see `hub user list`)")
    return principal_for(user, "cli")


def acting() -> tuple[Any, Principal]:
    """(store, actor) for a write command: `write_op(*acting(), …)`."""
    store = get_store()
    ensure_current(store)
    return store, actor(store)


def emit_json(payload: Any) -> None:
    """Stable JSON for scripts: sorted keys, ISO timestamps."""
    out.print_json(json.dumps(payload, default=str, sort_keys=True))


def progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )


@app.command()
def init() -> None:
    """Create the store's schema, or upgrade it to this version."""
    store = get_store()
    store.ping()
    before, after = upgrade(store)
    if before == after:
        out.print(f"Schema already current at {', '.join(sorted(after))} on {store.display_url}")
    else:
        out.print(f"Schema upgraded to {', '.join(sorted(after))} on {store.display_url}")


@app.command("config")
def show_config(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print the effective configuration, secrets masked."""
    values = get_settings().masked()
    if as_json:
        emit_json(values)
        return
    table = Table("setting", "value")
    for key, value in values.items():
        table.add_row(f"HUB_{key.upper()}", "" if value is None else str(value))
    out.print(table)


@app.command()
def doctor() -> None:
    """Check the database, the schema, workers and every connector, with the fix for each."""
    from engine.doctor import run_checks

    checks = run_checks(get_store(), get_settings())
    table = Table("check", "status", "detail")
    colours = {"ok": "green", "warn": "yellow", "fail": "red"}
    for check in checks:
        table.add_row(check.name, f"[{colours[check.status]}]{check.status}[/]", check.detail)
    out.print(table)
    if any(c.status == "fail" for c in checks):
        raise typer.Exit(1)


@app.command("demo")
def demo_cmd(
    scale: Annotated[str, typer.Option(help="S, M or L.")] = "S",
    seed: Annotated[int, typer.Option(help="RNG seed: same seed, same company.")] = 42,
    clear: Annotated[bool, typer.Option("--clear", help="Remove demo data only.")] = False,
) -> None:
    """Load the deterministic demo company (or remove it with --clear)."""
    store = get_store()
    ensure_current(store)
    who = actor(store)
    if clear:
        counts = demo_mod.clear(store, who)
        out.print(f"Demo data removed: {counts}")
        return
    if scale not in ("S", "M", "L"):
        raise HubError(f"--scale must be S, M or L, got {scale!r}")
    if demo_mod.is_loaded(store):
        raise HubError("demo data is already loaded: run `hub demo --clear` first")
    rows = _load_demo(scale, seed, who)
    out.print(f"Demo company loaded (scale {scale}, seed {seed}): {rows}")


def _load_demo(scale: str, seed: int, who: Principal) -> dict[str, int]:
    spec = demo_mod.make_spec(scale, seed)  # type: ignore[arg-type]
    with progress_bar() as bar:
        tasks: dict[str, Any] = {}

        def progress(label: str, done: int, total: int) -> None:
            if label not in tasks:
                tasks[label] = bar.add_task(label, total=total)
            bar.update(tasks[label], completed=done, total=total)

        return demo_mod.load(get_store(), who, spec, progress)


def _serve_api(host: str, port: int) -> None:
    import uvicorn

    from engine.api.app import create_app

    store = get_store()
    ensure_current(store)
    uvicorn.run(create_app(store), host=host, port=port, log_level="warning")


@app.command()
def api(host: Host = "127.0.0.1", port: Annotated[int, typer.Option()] = 8000) -> None:
    """Serve the HTTP API alone (production: run as many as you like)."""
    _serve_api(host, port)


@app.command()
def worker() -> None:
    """Run the background worker (sync jobs, probes, rollups) until stopped."""
    from engine.worker import Worker

    store = get_store()
    ensure_current(store)
    w = Worker(store, poll_seconds=get_settings().worker_poll_seconds)
    signal.signal(signal.SIGTERM, lambda *_: w.stopping.set())
    try:
        w.run_forever()
    except KeyboardInterrupt:
        w.stopping.set()


def _dashboard_command(host: str, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(DASHBOARD_SCRIPT),
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "minimal",
    ]


def _check_sign_in(host: str) -> None:
    """Refuse to listen beyond loopback when nobody could sign in."""
    from engine.access.policy import UNCONFIGURED_HELP, SignInMode, sign_in_mode

    mode = sign_in_mode(get_store(), host)
    if mode is SignInMode.unconfigured:
        raise HubError(UNCONFIGURED_HELP.format(host=host))
    if mode is SignInMode.local_admin:
        err.print(
            f"Sign-in: none on {host} while the hub has no accounts: the dashboard signs you "
            "in as admin (`hub user add EMAIL --role admin` turns sign-in on)"
        )


@app.command()
def dashboard(host: Host = "127.0.0.1", port: Annotated[int, typer.Option()] = 8501) -> None:
    """Serve the Streamlit dashboard alone."""
    ensure_current(get_store())
    _check_sign_in(host)
    raise typer.Exit(subprocess.call(_dashboard_command(host, port), cwd=PROJECT_ROOT))


@app.command()
def up(
    host: Host = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Dashboard port.")] = 8501,
    api_port: Annotated[int, typer.Option(help="HTTP API port.")] = 8000,
    demo: Annotated[bool, typer.Option(help="Load demo data when the store is empty.")] = True,
) -> None:
    """Everything on one machine: migrate, demo data if empty, dashboard + API + worker."""
    store = get_store()
    store.ping()
    hub = [sys.executable, "-m", "engine.cli"]
    children: dict[str, subprocess.Popen[bytes]] = {}
    signal.signal(signal.SIGTERM, _interrupt)
    code = 0
    try:
        # The dashboard starts once the store is ready, so its first (cached) answers are
        # never from a half-loaded demo; it boots slowest, so it starts first.
        upgrade(store)
        _check_sign_in(host)
        if demo and _store_is_empty():
            from engine.access.principal import SYSTEM

            err.print("Store is empty: loading the demo company (remove it: `hub demo --clear`)")
            _load_demo("S", 42, SYSTEM)
        children["dashboard"] = subprocess.Popen(_dashboard_command(host, port), cwd=PROJECT_ROOT)
        # On a small machine the page a person waits for goes first: the API and the worker
        # run at a lower CPU priority (they still get every idle cycle).
        children["api"] = subprocess.Popen(
            [*hub, "api", "--host", host, "--port", str(api_port)], preexec_fn=_background
        )
        children["worker"] = subprocess.Popen([*hub, "worker"], preexec_fn=_background)
        err.print(
            f"Hub is up: dashboard http://{host}:{port}  API http://{host}:{api_port}  "
            "(Ctrl-C stops everything)"
        )
        while True:
            for name, proc in children.items():
                if proc.poll() is not None:
                    err.print(f"{name} exited with code {proc.returncode}; stopping the hub")
                    code = proc.returncode or 1
                    raise KeyboardInterrupt
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        _stop(children.values())
    raise typer.Exit(code)


def _background() -> None:
    os.nice(10)


def _interrupt(*_: object) -> None:
    """SIGTERM stops `hub up` the same clean way as Ctrl-C."""
    raise KeyboardInterrupt


def _stop(procs: Any) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    deadline = time.monotonic() + 10
    for proc in procs:
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()


def _store_is_empty() -> bool:
    from sqlalchemy import exists, select

    from engine.store.models import ImportBatch

    with get_store().session() as s:
        return not s.scalar(select(exists().where(ImportBatch.id.is_not(None))))


def _load_command_modules() -> None:
    """Each capability's `register(app)` adds its commands (see `engine.capabilities`)."""
    from engine.capabilities import import_all

    for module in import_all("commands"):
        module.register(app)  # type: ignore[attr-defined]


def main(argv: list[str] | None = None) -> None:
    """Console entry point: maps expected errors to one line and an exit code."""
    _load_command_modules()
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        code = app(args=argv, standalone_mode=False)
        if isinstance(code, int) and code:  # typer.Exit(n) returns n without standalone mode
            sys.exit(code)
    except HubError as exc:
        if debug:
            raise
        err.print(f"[red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except typer.Abort:
        sys.exit(130)
    except typer.TyperException as exc:  # usage errors: typer prints them, exit code 2
        exc.show()  # type: ignore[attr-defined]
        sys.exit(exc.exit_code)  # type: ignore[attr-defined]
    except Exception as exc:
        if debug:
            raise
        logging.getLogger("hub").debug("unexpected error", exc_info=True)
        err.print(
            f"[red]error:[/] unexpected {type(exc).__name__}: {exc} "
            "(rerun with --debug for details)",
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(1)


if __name__ == "__main__":
    main()
