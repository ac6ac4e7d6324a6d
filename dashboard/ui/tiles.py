"""The KPI tile: value with unit, delta vs previous period, sparkline, target status, definition."""

from __future__ import annotations

import streamlit as st

from engine.kpi.registry import Tile
from engine.kpi.units import format_value

STATUS_BADGE = {
    "green": ("On target", "green"),
    "amber": ("Near target", "orange"),
    "red": ("Off target", "red"),
}
_OP_TEXT = {"<": "<", "<=": "≤", ">": ">", ">=": "≥"}


def target_text(tile: Tile, currency: str) -> str:
    target = tile.definition.target
    if target is None:
        return ""
    value = format_value(target.value, tile.definition.unit, currency)
    return f"{target.source.capitalize()} target {_OP_TEXT[target.op]} {value}"


def kpi_tile(tile: Tile, currency: str) -> None:
    d, r = tile.definition, tile.reading
    help_text = d.definition
    if d.target:
        help_text += f"\n\n{target_text(tile, currency)}"
    with st.container(border=True):
        if r.no_data:
            st.metric(d.label, "No data", help=help_text)
            st.caption(f"No data: {r.no_data}")
            return
        delta = tile.delta
        st.metric(
            d.label,
            format_value(r.value, d.unit, currency),
            delta=None if delta is None else _delta_text(delta, d.unit, currency),
            delta_color="normal" if d.higher_is_better else "inverse",
            help=help_text,
            chart_data=[v for _, v in r.series] or None,
            chart_type="line",
        )
        status = tile.status
        if status:
            label, colour = STATUS_BADGE[status]
            st.badge(f"{label} · {target_text(tile, currency)}", color=colour)


def _delta_text(delta: float, unit: str, currency: str) -> str:
    if unit == "ratio":
        return format_value(delta, "percent_points")
    if unit == "score":  # already signed
        return format_value(delta, unit, currency)
    text = format_value(abs(delta), unit, currency)
    return ("-" if delta < 0 else "+") + text
