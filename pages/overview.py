"""Overview: every KPI the founders watch, against the plan's targets."""

from itertools import groupby

import streamlit as st

from dashboard.queries import overview_tiles, rollback_reasons
from dashboard.ui.common import page_header, settings
from dashboard.ui.state import filters
from dashboard.ui.tiles import kpi_tile

page_header("Overview", "Every KPI the founders watch, against the plan's targets.")
f = filters()
if reasons := rollback_reasons():
    st.error("**Rollback recommended**: " + "; ".join(reasons), icon="🚨")
tiles = overview_tiles(f.start, f.end, f.compare)
if not tiles:
    st.info(
        "No KPI sources are installed yet: each capability (sync, product analytics, revenue, "
        "reliability) adds its tiles here as it lands."
    )
currency = settings().currency
for section, group in groupby(tiles, key=lambda t: t.definition.section):
    st.subheader(section)
    items = list(group)
    for start in range(0, len(items), 4):
        cols = st.columns(4)
        for col, tile in zip(cols, items[start : start + 4], strict=False):
            with col:
                kpi_tile(tile, currency)
