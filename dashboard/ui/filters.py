"""Sidebar filters kept in `st.query_params`, so every view is a shareable URL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import streamlit as st

from engine.errors import InputError
from engine.periods import DEFAULT_PRESET, PRESETS, Period, preset_period

from .common import settings


@dataclass(frozen=True)
class Filters:
    """The sidebar's answer: a period (and the one before it when comparing)."""

    preset: str
    first: str  # ISO dates / instants, hashable for st.cache_data keys
    start: str
    end: str
    compare: bool

    def period(self) -> Period:
        tz = settings().tz
        return Period(
            datetime.fromisoformat(self.start), datetime.fromisoformat(self.end), tz, self.preset
        )


def _param_date(name: str, fallback: date) -> date:
    try:
        return date.fromisoformat(st.query_params.get(name, ""))
    except ValueError:
        return fallback


def _init_state() -> None:
    if "f_range" in st.session_state:
        return
    qp = st.query_params
    preset = qp.get("range", DEFAULT_PRESET)
    st.session_state["f_range"] = preset if preset in PRESETS else DEFAULT_PRESET
    today = datetime.now(UTC).astimezone(settings().tz).date()
    st.session_state["f_from"] = _param_date("from", today - timedelta(days=29))
    st.session_state["f_to"] = _param_date("to", today)
    st.session_state["f_compare"] = qp.get("compare", "1") != "0"


def sidebar_filters() -> Filters:
    """Draw the period selector in the sidebar and mirror it in the URL."""
    _init_state()
    tz = settings().tz
    with st.sidebar:
        preset = st.selectbox(
            "Period", list(PRESETS), format_func=PRESETS.__getitem__, key="f_range"
        )
        first = last = None
        if preset == "custom":
            first = st.date_input("From", key="f_from")
            last = st.date_input("To", key="f_to")
        compare = st.toggle("Compare with previous period", key="f_compare")
        try:
            period = preset_period(preset, tz, first=first, last=last)
        except InputError as exc:
            st.error(str(exc))
            period = preset_period(DEFAULT_PRESET, tz)
        st.caption(f"Timezone: **{settings().timezone}** · {period.first_day} → {period.last_day}")
    # Update only the sidebar's own keys: pages keep theirs (funnel steps, selected target…).
    st.query_params["range"] = preset
    st.query_params["compare"] = "1" if compare else "0"
    if preset == "custom":
        st.query_params["from"], st.query_params["to"] = str(first), str(last)
    else:
        for key in ("from", "to"):
            if key in st.query_params:
                del st.query_params[key]
    return Filters(
        preset, str(period.first_day), period.start.isoformat(), period.end.isoformat(), compare
    )
