"""Worker task: delete audit records past their retention once a day."""

from engine.access.audit import purge
from engine.store import Store
from engine.worker import WorkerTask, register_task


def _purge(store: Store) -> bool:
    purge(store)
    return False


register_task(WorkerTask(name="access.audit_retention", run=_purge, every_seconds=86400.0))
