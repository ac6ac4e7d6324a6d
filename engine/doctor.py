"""`hub doctor`: each check says ok, warn or fail, and for a failure, the fix."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from engine.config import Settings
from engine.errors import HubError
from engine.store import Store
from engine.store.migrate import schema_status


@dataclass(frozen=True)
class Check:
    name: str
    status: Literal["ok", "warn", "fail"]
    detail: str


def run_checks(store: Store, settings: Settings) -> list[Check]:
    checks: list[Check] = []
    try:
        store.ping()
        checks.append(Check("database", "ok", f"{store.dialect} at {store.display_url}"))
    except HubError as exc:
        return [Check("database", "fail", str(exc))]
    ok, why = schema_status(store)
    checks.append(Check("schema", "ok" if ok else "fail", why))
    if ok:
        from engine.worker import live_workers

        workers = live_workers(store)
        checks.append(
            Check("worker", "ok", f"{len(workers)} running")
            if workers
            else Check("worker", "warn", "no worker seen in the last minute: run `hub worker`")
        )
    checks.extend(connector_checks(settings))
    return checks


def connector_checks(settings: Settings) -> list[Check]:
    """Configured or not, per connector; unconfigured is a warning (the hub runs without it)."""

    def configured(name: str, is_set: bool, fix: str, detail: str) -> Check:
        return (
            Check(name, "ok", detail) if is_set else Check(name, "warn", f"not configured: {fix}")
        )

    google_ok = bool(settings.google_access_token or settings.google_service_account_file)
    checks = [
        configured(
            "github",
            settings.github_token is not None,
            "set HUB_GITHUB_TOKEN to a token with contents and pull-request access",
            f"token set, API {settings.github_api_url}",
        ),
        configured(
            "github webhooks",
            settings.github_webhook_secret is not None,
            "set HUB_GITHUB_WEBHOOK_SECRET to the secret of the repository's webhook",
            "secret set",
        ),
        configured(
            "google drive",
            google_ok,
            "set HUB_GOOGLE_SERVICE_ACCOUNT_FILE (or HUB_GOOGLE_ACCESS_TOKEN)",
            f"credentials set, API {settings.drive_api_url}",
        ),
        configured(
            "stripe",
            settings.stripe_api_key is not None,
            "set HUB_STRIPE_API_KEY to a restricted key with read access",
            f"key set, API {settings.stripe_api_url}",
        ),
        configured(
            "slack",
            settings.slack_webhook_url is not None,
            "set HUB_SLACK_WEBHOOK_URL to a Slack incoming-webhook URL",
            "webhook set",
        ),
    ]
    sa_file = settings.google_service_account_file
    if sa_file is not None and not sa_file.is_file():
        checks.append(
            Check(
                "google drive key file",
                "fail",
                f"HUB_GOOGLE_SERVICE_ACCOUNT_FILE points to {sa_file}, which is not a file",
            )
        )
    return checks
