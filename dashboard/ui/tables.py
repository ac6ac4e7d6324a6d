"""Tables with a CSV download, so every table on every page can be exported."""

from __future__ import annotations

import pandas as pd
import streamlit as st


def table_with_download(frame: pd.DataFrame, filename: str, **kwargs: object) -> None:
    st.dataframe(frame, hide_index=True, width="stretch", **kwargs)  # type: ignore[arg-type]
    st.download_button(
        "⬇️ CSV",
        frame.to_csv(index=False).encode(),
        file_name=filename,
        mime="text/csv",
        key=f"dl-{filename}",
    )
