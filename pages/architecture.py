"""Architecture: the synced model in 3D and 2D, its history, diffs, health and exports.

Thin on purpose: everything it shows comes from engine.architecture; this script only picks
what to show (target, version, filters, kept in st.query_params) and lays it out.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from dashboard.ui.common import page_header, store
from dashboard.ui.tables import table_with_download
from engine.architecture import diff as model_diff
from engine.architecture import export, figures, health, history
from engine.architecture.graph import GraphFilter, build_graph, component_rows

page_header(
    "Architecture",
    "The model GitHub and AI Studio keep in step: in 3D and 2D, version by version.",
)
qp = st.query_params


@st.cache_data(ttl=30, show_spinner=False)
def targets() -> list[history.TargetInfo]:
    return history.targets(store())


@st.cache_data(ttl=30, show_spinner=False)
def versions(target: str) -> list[history.Version]:
    return history.versions(store(), target, limit=500)


@st.cache_resource(ttl=600, show_spinner=False, max_entries=32)
def document(target: str, snapshot_id: int) -> tuple[history.Version, dict]:
    """Shared, not copied per run (a 10,000-component model is megabytes): read-only."""
    return history.load_version(store(), target, snapshot_id)


@st.cache_data(ttl=30, show_spinner=False)
def probe_states() -> tuple[list[health.ProbeState], str | None]:
    return health.probe_states(store())


def listed(name: str, options: list[str]) -> list[str]:
    """A comma-separated query parameter, keeping only values that are options."""
    return [v for v in qp.get(name, "").split(",") if v in options]


def keep(name: str, value: str | None) -> None:
    """Mirror a choice in the URL; an empty choice removes the parameter."""
    if value:
        qp[name] = value
    elif name in qp:
        del qp[name]


known = targets()
if not known:
    st.info(
        "No architecture model yet: add a sync target on the Sync page (or "
        "`hub target add NAME --github OWNER/REPO:PATH --drive FILE_ID`) and run a sync, "
        "or load the demo company with `hub demo`."
    )
    st.stop()

names = [t.name for t in known]
c1, c2 = st.columns([1, 3])
target = c1.selectbox(
    "Target",
    names,
    index=names.index(qp["target"]) if qp.get("target") in names else 0,
    key="arch_target",
)
keep("target", target)
info = next(t for t in known if t.name == target)
c1.caption(f"`{info.github_spec}` ⇄ Drive `{info.drive_file_id}`")
all_versions = versions(target)
if not all_versions:
    st.info(
        f"Target {target} has no synced model yet: press **Sync now** on the Sync page "
        f"or run `hub sync run {target} --wait`."
    )
    st.stop()

by_id = {v.snapshot_id: v for v in all_versions}
ids = list(by_id)
wanted = int(qp["version"]) if qp.get("version", "").isdigit() else None
chosen_id = c2.select_slider(
    "Version",
    options=ids,
    value=wanted if wanted in by_id else ids[-1],
    format_func=lambda i: by_id[i].label,
    key=f"arch_version_{target}",
)
keep("version", None if chosen_id == ids[-1] else str(chosen_id))
version, model = document(target, chosen_id)
link_names = {
    "github_file": "GitHub file",
    "github_commits": "file commits",
    "github_blob": f"blob {(version.github_ref or '')[:7]}",
    "drive_file": "Drive file",
    "drive_revision": f"Drive revision {version.drive_revision or ''}",
}
links = " · ".join(
    f"[{label}]({version.links[k]})" for k, label in link_names.items() if k in version.links
)
c2.caption(f"**{version.label}**: {version.description}. {links}")

# ------------------------------------------------------------------ filters and search
full = build_graph(model)
f1, f2, f3, f4 = st.columns([1, 1, 1, 1.3])
layers = f1.multiselect(
    "Layers", full.layers, default=listed("layers", full.layers), key="arch_layers"
)
statuses = f2.multiselect(
    "Status", full.statuses, default=listed("status", full.statuses), key="arch_status"
)
techs = f3.multiselect(
    "Technology",
    full.technologies,
    default=listed("tech", full.technologies),
    key="arch_tech",
)
query = f4.text_input(
    "Search a component",
    value=qp.get("q", ""),
    placeholder="id or name, e.g. api-gateway",
    key="arch_q",
)
keep("layers", ",".join(layers))
keep("status", ",".join(statuses))
keep("tech", ",".join(techs))
keep("q", query.strip())

o1, o2, o3, o4 = st.columns([1.6, 1.2, 1, 1])
others = [i for i in ids if i != chosen_id] or [chosen_id]
earlier = [i for i in others if i < chosen_id]
previous = earlier[-1] if earlier else others[0]
asked = int(qp["vs"]) if qp.get("vs", "").isdigit() else None
compare_id = o2.selectbox(
    "Compare with",
    others,
    index=others.index(asked if asked in others else previous),
    format_func=lambda i: by_id[i].label,
    key=f"arch_vs_{target}_{chosen_id}",  # options depend on the version shown
    disabled=len(ids) < 2,
)
keep("vs", None if compare_id == previous else str(compare_id))
colour_options = {"status": "Status", "health": "Health (probes)", "diff": "Changes"}
colour_by = o1.radio(
    "Colour by",
    list(colour_options),
    index=list(colour_options).index(qp.get("colour", "status"))
    if qp.get("colour") in colour_options
    else 0,
    format_func=colour_options.__getitem__,
    horizontal=True,
    key="arch_colour",
)
keep("colour", None if colour_by == "status" else colour_by)
chains = o3.toggle(
    "Whole chains",
    value=qp.get("chain") == "1",
    key="arch_chain",
    help="Highlight every transitive dependency and dependent, not only direct ones.",
)
keep("chain", "1" if chains else None)
animate = o4.toggle(
    "Animate flow",
    value=False,
    key="arch_animate",
    help="Adds a ▶ button that sends a dot along every connection.",
)

filters = GraphFilter.of(layers, statuses, techs)
graph = build_graph(model, filters=filters, search=query, transitive=chains)
base_version, base_model = document(target, compare_id)
old, new = (base_model, model) if compare_id <= chosen_id else (model, base_model)
changes = model_diff.diff_models(old, new)
states, no_probes = probe_states()
overlay = (
    health.HealthOverlay(False, no_probes)
    if no_probes
    else health.overlay(model.get("components") or [], states)
)
drawn = graph
if colour_by == "diff":  # removed components are drawn too, where they were
    drawn = build_graph(
        model_diff.union_document(old, new), filters=filters, search=query, transitive=chains
    )
# The browser's theme is reported reliably only from a session's second run on (the first
# says "light" whatever it is, streamlit#11920): until then the configured base is the guess.
configured = st.get_option("theme.base")
first_run = "arch_theme_seen" not in st.session_state
st.session_state["arch_theme_seen"] = True
theme = (configured if first_run else st.context.theme.type) or configured or "light"

if query.strip():
    if graph.matches:
        roles = list(graph.highlight.values())
        st.caption(
            f"🔎 {', '.join(graph.matches)}: {roles.count('dependency')} dependencies and "
            f"{roles.count('dependent')} dependents highlighted."
        )
    else:
        st.warning(f"No visible component matches “{query.strip()}”.")
if colour_by == "health" and not overlay.available:
    st.info(f"Health overlay: {overlay.reason}.")
if not graph.nodes:
    st.info("No component matches these filters.")

shown = f"{len(graph.nodes)} of {graph.total} components, {len(graph.edges)} connections"
figure_args = {
    "theme": theme,
    "colour_by": colour_by,
    "health": overlay if overlay.available else None,
    "diff": changes.highlight(),
    "animate": animate,
}
config = {"displaylogo": False, "toImageButtonOptions": {"filename": f"architecture-{target}"}}
tab3d, tab2d, tab_diff, tab_history, tab_health, tab_components, tab_export = st.tabs(
    ["🧊 3D", "🗺️ 2D", "± Diff", "🕑 History", "🩺 Health", "📋 Components", "⬇️ Export"]
)
with tab3d:
    st.caption(f"{shown}. Layers stack top to bottom; size grows with links; drag to turn.")
    st.plotly_chart(
        figures.figure_3d(drawn, **figure_args), theme=None, key="arch_3d", config=config
    )
with tab2d:
    st.caption(f"{shown}. Arrows point where requests and data flow.")
    st.plotly_chart(
        figures.figure_2d(drawn, **figure_args), theme=None, key="arch_2d", config=config
    )

with tab_diff:
    direction = (
        f"{by_id[min(compare_id, chosen_id)].label} → {by_id[max(compare_id, chosen_id)].label}"
    )
    st.markdown(f"**{direction}**: {changes.summary()}")
    m1, m2, m3, m4 = st.columns(4)
    counts = changes.counts()
    m1.metric("Added", counts["added"])
    m2.metric("Changed", counts["changed"])
    m3.metric("Removed", counts["removed"])
    m4.metric("Connections", counts["connections"])
    if changes.empty:
        st.success("The two versions hold the same model.")
    else:
        rows = changes.field_rows()
        if rows:
            table_with_download(pd.DataFrame(rows), f"architecture-{target}-diff.csv")
        if changes.connections:
            table_with_download(
                pd.DataFrame(
                    [{"connection": c.label, "change": c.kind} for c in changes.connections]
                ),
                f"architecture-{target}-diff-connections.csv",
            )
        diff_graph = build_graph(model_diff.union_document(old, new), filters=filters)
        st.plotly_chart(
            figures.figure_2d(diff_graph, theme=theme, colour_by="diff", diff=changes.highlight()),
            theme=None,
            key="arch_diff_2d",
            config=config,
        )

with tab_history:
    frame = pd.DataFrame(
        [
            {
                "id": v.snapshot_id,
                "version": f"v{v.number}",
                "created (UTC)": v.created_at.strftime("%Y-%m-%d %H:%M"),
                "changes": v.changes or "",
                "what changed it": v.description,
                "who": v.actor or "",
                "github blob": v.links.get("github_blob", ""),
                "drive revision": v.links.get("drive_revision", ""),
            }
            for v in reversed(all_versions)
        ]
    )
    table_with_download(
        frame,
        f"architecture-{target}-history.csv",
        column_config={
            "github blob": st.column_config.LinkColumn(display_text=r"blobs/([0-9a-f]{7})"),
            "drive revision": st.column_config.LinkColumn(display_text=r"revisions/(.+)$"),
        },
    )

with tab_health:
    if not overlay.available:
        st.info(f"{overlay.reason}.")
    else:
        matched = [
            {
                "component": cid,
                "probe": s.probe,
                "match": s.match,
                "state": s.state,
                "24 h uptime": None if s.uptime_24h is None else round(100 * s.uptime_24h, 3),
                "last check (UTC)": s.last_checked_at.strftime("%Y-%m-%d %H:%M")
                if s.last_checked_at
                else "",
            }
            for cid, s in sorted(overlay.statuses.items())
        ]
        if matched:
            table_with_download(pd.DataFrame(matched), f"architecture-{target}-health.csv")
        else:
            st.info("No component's id, name or github_path matches a probe name.")
        if overlay.unmatched_probes:
            st.caption(
                "Probes matching no component: "
                + ", ".join(overlay.unmatched_probes)
                + " (set `metadata.probe` on a component to pin one)."
            )

with tab_components:
    rows = component_rows(graph, overlay.statuses if overlay.available else None)
    table_with_download(pd.DataFrame(rows), f"architecture-{target}-components.csv")
    st.download_button(
        "⬇️ JSON (model)",
        export.model_json(model),
        file_name=f"architecture-{target}-v{version.number}.json",
        mime="application/json",
        key="arch_json",
    )

with tab_export:
    st.caption("Server-side exports of this version (filters and search apply to the images).")
    e1, e2 = st.columns(2)
    view = e1.radio(
        "Diagram", ["2d", "3d"], horizontal=True, key="arch_export_view", format_func=str.upper
    )
    image_theme = e2.radio(
        "Image theme",
        ["light", "dark"],
        horizontal=True,
        index=1 if theme == "dark" else 0,
        key="arch_export_theme",
    )
    browser = export.chromium_path()
    if browser is None:
        st.warning(export.NO_BROWSER + ". JSON and CSV exports still work.")
    the_store, snapshot = store(), chosen_id

    def make(fmt: str) -> Callable[[], bytes]:
        """The file is built only when the button is clicked (rendering takes seconds)."""
        return lambda: (
            export.export_version(
                the_store,
                target,
                fmt,
                snapshot_id=snapshot,
                view=view,
                theme=image_theme,
                graph=graph,
            ).content
        )

    b1, b2, b3, b4 = st.columns(4)
    for col, fmt, label in ((b1, "png", "PNG"), (b2, "svg", "SVG"), (b3, "pdf", "PDF report")):
        col.download_button(
            f"⬇️ {label}",
            make(fmt),
            file_name=f"architecture-{target}-v{version.number}.{fmt}",
            mime=export.MIME[fmt],
            key=f"arch_export_{fmt}",
            disabled=browser is None and fmt != "pdf",
            on_click="ignore",
        )
    b4.download_button(
        "⬇️ CSV (components)",
        export.components_csv(graph, overlay if overlay.available else None),
        file_name=f"architecture-{target}-v{version.number}.csv",
        mime="text/csv",
        key="arch_export_csv",
        on_click="ignore",
    )
