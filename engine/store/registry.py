"""Imports every module that declares tables, so metadata is complete for Alembic and tests."""

from __future__ import annotations

from sqlalchemy import MetaData

from engine.store.base import Base


def target_metadata() -> MetaData:
    """Foundation tables plus every capability's (see `engine.capabilities`)."""
    import engine.store.models  # noqa: F401
    from engine.capabilities import import_all

    import_all("models")
    return Base.metadata
