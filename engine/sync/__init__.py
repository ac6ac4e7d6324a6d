"""Sync engine core: the architecture document, its validation and the three-way merge.

Pure and storage-free on purpose, so the rules that decide whether an edit survives can be
tested exhaustively without a database, network or clock.
"""
