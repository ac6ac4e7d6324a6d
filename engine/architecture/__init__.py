"""Architecture view: the synced model as a graph, its history, diffs, health and exports.

Everything here is plain Python over the sync engine's snapshots (no streamlit), so the
page, the CLI and the benches share one implementation.
"""
