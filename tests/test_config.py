from pathlib import Path

import pytest
from pydantic import ValidationError

from engine.config import Settings, get_settings, mask_url


def test_defaults_use_embedded_sqlite_under_home(hub_env: Path) -> None:
    s = get_settings()
    assert s.effective_database_url == f"sqlite:///{(hub_env / 'hub.db').as_posix()}"
    assert s.timezone == "UTC" and s.currency == "USD"


def test_env_overrides_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "hub.toml").write_text('timezone = "Europe/Kyiv"\ncurrency = "eur"\n')
    s = Settings()
    assert s.timezone == "Europe/Kyiv" and s.currency == "EUR"
    monkeypatch.setenv("HUB_TIMEZONE", "America/New_York")
    assert Settings().timezone == "America/New_York"


def test_bad_timezone_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_TIMEZONE", "Mars/Olympus")
    with pytest.raises(ValidationError, match="unknown timezone 'Mars/Olympus'"):
        Settings()


def test_secrets_and_passwords_are_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_GITHUB_TOKEN", "ghp_supersecret")
    monkeypatch.setenv("HUB_DATABASE_URL", "postgresql+psycopg://hub:hunter2@db/hub")
    masked = Settings().masked()
    text = repr(masked)
    assert "ghp_supersecret" not in text and "hunter2" not in text
    assert masked["github_token"] == "********"
    assert masked["stripe_api_key"] is None or masked["stripe_api_key"] == ""
    assert masked["database_url"] == "postgresql+psycopg://hub:***@db/hub"


def test_mask_url_never_echoes_garbage() -> None:
    assert mask_url("not a url at all") == "<unparseable URL>"
