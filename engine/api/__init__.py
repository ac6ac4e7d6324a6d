"""The hub's HTTP API (Starlette): health, readiness, metrics, and each capability's routes."""
