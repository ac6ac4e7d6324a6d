"""Worker task: evaluate alert rules every 30 s (notifications once per fire/resolve)."""

from engine.launch.alerts import run_alerts
from engine.worker import WorkerTask, register_task

register_task(WorkerTask(name="launch.alerts", run=run_alerts, every_seconds=30.0))
