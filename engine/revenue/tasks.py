"""Background work: the worker runs `hub stripe sync` every 15 minutes once a key is set."""

from __future__ import annotations

import logging

from engine.store import Store
from engine.worker import WorkerTask, register_task

log = logging.getLogger(__name__)


def _sync(store: Store) -> bool:
    from engine.access.principal import SYSTEM
    from engine.revenue.stripe_api import has_api_key, sync_stripe

    if not has_api_key():
        return False
    report = sync_stripe(store, SYSTEM)
    log.info("%s", report.summary())
    return False  # nothing more to do until the next interval


STRIPE_SYNC = register_task(WorkerTask("revenue.stripe_sync", _sync, every_seconds=900))
