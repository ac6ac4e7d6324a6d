"""Effective configuration: `HUB_*` environment variables over an optional `hub.toml`.

Every process (dashboard, API, worker, CLI) reads the same settings, so a deployment is
described once. Secrets are `SecretStr` and only ever leave this module masked.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

DEFAULT_HOME = Path(".hub")


def _toml_path() -> Path:
    return Path(os.environ.get("HUB_CONFIG_FILE", "hub.toml"))


class Settings(BaseSettings):
    """All knobs of the hub. Field descriptions double as the README's configuration table."""

    model_config = SettingsConfigDict(env_prefix="HUB_", extra="ignore")

    database_url: str = Field(
        "",
        description="SQLAlchemy URL of the store. Empty: SQLite file `.hub/hub.db`. "
        "Production: `postgresql+psycopg://user@host/db`.",
    )
    home: Path = Field(DEFAULT_HOME, description="Folder for the embedded store and run files.")
    timezone: str = Field("UTC", description="Reporting timezone for every day/week/month bucket.")
    currency: str = Field("USD", description="Reporting currency (ISO 4217) for money KPIs.")
    db_pool_size: int = Field(5, description="PostgreSQL connection pool size per process.")
    db_max_overflow: int = Field(10, description="Extra PostgreSQL connections beyond the pool.")
    sqlite_busy_timeout_ms: int = Field(
        15000, description="How long a SQLite writer waits for a lock before failing."
    )
    dashboard_cache_ttl_seconds: int = Field(
        60, description="How long the dashboard caches query results."
    )
    worker_poll_seconds: float = Field(2.0, description="How often an idle worker looks for work.")
    log_level: str = Field("INFO", description="Log level of every process.")
    sync_max_attempts: int = Field(5, description="Attempts per sync job before it fails.")
    sync_retry_initial_seconds: float = Field(60, description="First retry delay of a sync job.")
    sync_retry_base: float = Field(2, description="Backoff multiplier between sync attempts.")
    sync_retry_max_seconds: float = Field(3600, description="Longest delay between attempts.")
    sync_lease_seconds: int = Field(
        60, description="A worker's claim on a job; another worker takes over when it lapses."
    )
    sync_pause_after_failures: int = Field(
        3, description="Consecutive failed jobs after which a target pauses itself."
    )
    sync_history_days: int = Field(90, description="Days of sync jobs and conflicts kept.")
    signup_event: str = Field("Signed Up", description="Event that marks a signup.")
    activation_event: str = Field(
        "First Sync Completed", description="Event that marks activation (within 14 days)."
    )
    feature_events: str = Field(
        "",
        description="Comma-separated feature events for adoption; empty: every tracked event "
        "except the signup event and `Signed In`.",
    )
    audit_retention_days: int = Field(
        365, description="Days audit records are kept (the Admin page can change it)."
    )
    password_min_length: int = Field(12, description="Shortest password a local account takes.")
    signin_max_failures: int = Field(
        5, description="Failed sign-ins in a row after which an account is locked."
    )
    signin_lockout_minutes: int = Field(15, description="How long a locked account stays locked.")
    session_idle_minutes: int = Field(
        480, description="A dashboard sign-in ends after this long without use."
    )
    session_max_hours: int = Field(
        24, description="A dashboard sign-in ends this long after it began."
    )
    oidc_viewer_domain: str = Field(
        "",
        description="OIDC users with no hub account but a verified email on this domain are "
        "let in as viewers; empty: unknown emails are refused.",
    )
    key_rotation_days: int = Field(
        90, description="API keys older than this fail the security checklist."
    )
    admin_signin_days: int = Field(
        30, description="Admins who have not signed in for this long fail the security checklist."
    )
    github_api_url: str = Field("https://api.github.com", description="GitHub REST API base URL.")
    github_token: SecretStr | None = Field(None, description="GitHub token (contents, PRs).")
    github_webhook_secret: SecretStr | None = Field(
        None, description="Secret that signs GitHub webhook deliveries."
    )
    drive_api_url: str = Field(
        "https://www.googleapis.com", description="Google Drive API base URL."
    )
    google_token_url: str = Field(
        "https://oauth2.googleapis.com/token", description="Google OAuth 2.0 token endpoint."
    )
    google_service_account_file: Path | None = Field(
        None, description="Path to a Google service-account JSON key."
    )
    google_access_token: SecretStr | None = Field(
        None, description="A ready Google access token (instead of a service account)."
    )
    stripe_api_url: str = Field("https://api.stripe.com", description="Stripe API base URL.")
    stripe_api_key: SecretStr | None = Field(None, description="Stripe secret key.")
    stripe_webhook_secret: SecretStr | None = Field(
        None, description="Secret that signs Stripe webhook events."
    )
    slack_webhook_url: SecretStr | None = Field(
        None, description="Slack incoming-webhook URL for alerts."
    )
    record_api_requests: bool = Field(
        True,
        description="Record the hub API's own requests as request logs (service `hub-api`): "
        "buffered in memory and written every few seconds and at shutdown.",
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {value!r} (use an IANA name like UTC)") from exc
        return value

    @field_validator("currency")
    @classmethod
    def _currency_code(cls, value: str) -> str:
        if len(value) != 3 or not value.isalpha():
            raise ValueError(f"currency must be a 3-letter ISO 4217 code, got {value!r}")
        return value.upper()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=_toml_path())
        return (init_settings, env_settings, toml)

    @property
    def feature_event_list(self) -> list[str]:
        return [e.strip() for e in self.feature_events.split(",") if e.strip()]

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'hub.db').as_posix()}"

    def masked(self) -> dict[str, Any]:
        """The effective configuration with every secret (and URL password) masked."""
        out: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                out[name] = "********" if value.get_secret_value() else ""
            elif name == "database_url":
                out[name] = mask_url(self.effective_database_url)
            elif isinstance(value, Path):
                out[name] = str(value)
            else:
                out[name] = value
        return out


def mask_url(url: str) -> str:
    """Hide the password of a database URL (`user:***@host`)."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable URL>"


def get_settings() -> Settings:
    """Process-wide settings, read again only when a `HUB_*` environment variable changed."""
    key = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("HUB_")))
    return _settings_for(key)


@lru_cache(maxsize=4)
def _settings_for(_env: tuple[tuple[str, str], ...]) -> Settings:
    return Settings()


get_settings.cache_clear = _settings_for.cache_clear  # type: ignore[attr-defined]


def settings_markdown() -> str:
    """The README's configuration table, generated so it cannot drift from the code."""
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    for name, info in Settings.model_fields.items():
        default = info.default
        shown = "(empty)" if default in (None, "") else f"`{default}`"
        lines.append(f"| `HUB_{name.upper()}` | {shown} | {info.description} |")
    lines.append(
        "| `HUB_CONFIG_FILE` | `hub.toml` | Where the optional TOML configuration is read from. |"
    )
    return "\n".join(lines)
