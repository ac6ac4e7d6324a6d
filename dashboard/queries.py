"""Cached calls into the engine's public API: pages read through these, never SQL."""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from engine.config import get_settings
from engine.kpi.registry import Tile, overview
from engine.periods import Period

from .ui.common import store


def _period(start: str, end: str) -> Period:
    return Period(datetime.fromisoformat(start), datetime.fromisoformat(end), get_settings().tz, "")


@st.cache_data(ttl=30, show_spinner=False)
def rollback_reasons() -> list[str]:
    """Why the launch plan's rollback criteria say roll back now ([] when none is met)."""
    from engine.launch.control import launch_status

    status = launch_status(store(allow_unreachable=True), details=True)
    return list(status["reasons"]) if status["decision_suggested"] == "rollback" else []


@st.cache_data(ttl=get_settings().dashboard_cache_ttl_seconds, show_spinner="Computing KPIs…")
def overview_tiles(start: str, end: str, compare: bool) -> list[Tile]:
    return overview(store(), _period(start, end), compare)
