"""Connectors: the external services a sync target keeps in step (GitHub and Google Drive).

Each connector implements :class:`~engine.connectors.base.Connector` (read with a version
marker, write against an expected marker) and raises only
:class:`~engine.connectors.base.ConnectorError` subclasses, classified for the job's retry
logic.
"""

from engine.connectors.base import (
    AuthError,
    Conflict,
    Connector,
    ConnectorError,
    InvalidRequest,
    LostUpdate,
    NotFound,
    ProtocolError,
    RateLimited,
    ReadResult,
    StaleMarker,
    Unavailable,
    VersionMarker,
)
from engine.connectors.drive import DriveConnector
from engine.connectors.github import GitHubConnector, PullRequest, sync_branch_name
from engine.connectors.google_auth import (
    ServiceAccountTokenProvider,
    StaticTokenProvider,
    TokenProvider,
    token_provider_from_settings,
)

__all__ = [
    "AuthError",
    "Conflict",
    "Connector",
    "ConnectorError",
    "DriveConnector",
    "GitHubConnector",
    "InvalidRequest",
    "LostUpdate",
    "NotFound",
    "ProtocolError",
    "PullRequest",
    "RateLimited",
    "ReadResult",
    "ServiceAccountTokenProvider",
    "StaleMarker",
    "StaticTokenProvider",
    "TokenProvider",
    "Unavailable",
    "VersionMarker",
    "sync_branch_name",
    "token_provider_from_settings",
]
