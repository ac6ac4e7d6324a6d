"""Product-analytics settings live in `engine.config.Settings` (`HUB_SIGNUP_EVENT`, …)."""

from __future__ import annotations

from engine.config import Settings, get_settings


def product_settings() -> Settings:
    return get_settings()


def timezone_name() -> str:
    return get_settings().timezone
