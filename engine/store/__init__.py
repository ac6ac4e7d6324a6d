"""The store: one SQLAlchemy database shared by every hub process."""

from engine.store.db import Store, get_store, reset_store

__all__ = ["Store", "get_store", "reset_store"]
