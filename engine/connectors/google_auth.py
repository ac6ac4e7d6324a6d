"""Access tokens for the Drive API.

Either a service-account key (``HUB_GOOGLE_SERVICE_ACCOUNT_FILE``) exchanged for short-lived
tokens with the OAuth 2.0 JWT-bearer grant (RFC 7523), or a ready token
(``HUB_GOOGLE_ACCESS_TOKEN``). The private key and the tokens never appear in an error
message or a repr; errors name the setting to fix instead.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from engine.connectors.base import (
    AuthError,
    ProtocolError,
    RateLimited,
    Unavailable,
    parse_retry_after,
    server_text,
)

DEFAULT_TOKEN_URL = "https://oauth2.googleapis.com/token"
DRIVE_SCOPE = "https://www.googleapis.com/auth/drive"
JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
#: Google caps an assertion's lifetime at one hour.
ASSERTION_LIFETIME = 3600
#: Refresh this long before the token expires, so a request never carries a token that
#: expires in flight.
REFRESH_MARGIN = 120.0

SERVICE_ACCOUNT_SETTING = "HUB_GOOGLE_SERVICE_ACCOUNT_FILE"
ACCESS_TOKEN_SETTING = "HUB_GOOGLE_ACCESS_TOKEN"


@runtime_checkable
class TokenProvider(Protocol):
    """Hands out a bearer token for Drive; ``invalidate`` after a 401 forces a new one.

    ``setting`` names the configuration the token comes from, so auth errors can say what
    to fix.
    """

    setting: str

    def token(self) -> str: ...

    def invalidate(self) -> None: ...


class StaticTokenProvider:
    """A fixed access token (``HUB_GOOGLE_ACCESS_TOKEN``); it cannot be refreshed."""

    setting = ACCESS_TOKEN_SETTING

    def __init__(self, access_token: str, *, setting: str = ACCESS_TOKEN_SETTING) -> None:
        if not access_token or not access_token.strip():
            raise AuthError(f"{setting} is empty", origin="drive", type="credentials")
        self._token = access_token.strip()
        self.setting = setting

    def token(self) -> str:
        return self._token

    def invalidate(self) -> None:
        """Nothing to refresh: the Drive connector's one retry then reports the setting."""

    def __repr__(self) -> str:
        return f"StaticTokenProvider(setting={self.setting!r})"


class ServiceAccountTokenProvider:
    """Tokens minted from a service-account key, cached until shortly before expiry.

    Thread-safe: concurrent callers share one token request.
    """

    setting = SERVICE_ACCOUNT_SETTING

    def __init__(
        self,
        info: Mapping[str, Any],
        *,
        token_url: str | None = None,
        scope: str = DRIVE_SCOPE,
        client: httpx.Client | None = None,
        clock: Callable[[], float] = time.time,
        setting: str = SERVICE_ACCOUNT_SETTING,
        timeout: float = 30.0,
    ) -> None:
        self.setting = setting
        if not isinstance(info, Mapping) or info.get("type") != "service_account":
            raise self._config_error(
                "is not a service-account key (expected a JSON key file with "
                '"type": "service_account"; create one under IAM → Service accounts → Keys)'
            )
        email = info.get("client_email")
        pem = info.get("private_key")
        if not isinstance(email, str) or not email or not isinstance(pem, str) or not pem:
            raise self._config_error("is missing client_email or private_key")
        key = _load_private_key(pem)
        if key is None:
            raise self._config_error("has a private_key that is not a readable RSA key")
        self.client_email = email
        self._key = key
        key_id = info.get("private_key_id")
        self._key_id = key_id if isinstance(key_id, str) and key_id else None
        self.token_url = token_url or str(info.get("token_uri") or DEFAULT_TOKEN_URL)
        self.scope = scope
        self._clock = clock
        self._own_client = client is None
        self._client = client or httpx.Client(timeout=timeout)
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0
        #: How many tokens this provider fetched; handy for tests and metrics.
        self.fetch_count = 0

    @classmethod
    def from_file(
        cls, path: str | Path, *, setting: str = SERVICE_ACCOUNT_SETTING, **kwargs: Any
    ) -> ServiceAccountTokenProvider:
        """Load a key file; errors say which setting points at a bad file."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise AuthError(
                f"{setting} ({path}) cannot be read: {type(exc).__name__}",
                origin="drive",
                type="credentials",
            ) from None
        try:
            info = json.loads(text)
        except ValueError:
            raise AuthError(
                f"{setting} ({path}) is not JSON; expected a service-account key file",
                origin="drive",
                type="credentials",
            ) from None
        return cls(info, setting=setting, **kwargs)

    def token(self) -> str:
        with self._lock:
            if self._token is not None and self._clock() < self._expires_at - REFRESH_MARGIN:
                return self._token
            self._token, self._expires_at = self._fetch()
            return self._token

    def invalidate(self) -> None:
        with self._lock:
            self._token = None
            self._expires_at = 0.0

    def close(self) -> None:
        if self._own_client:
            self._client.close()

    def __repr__(self) -> str:
        return (
            f"ServiceAccountTokenProvider(client_email={self.client_email!r}, "
            f"token_url={self.token_url!r})"
        )

    # ------------------------------------------------------------------ internals

    def _assertion(self, now: int) -> str:
        claims = {
            "iss": self.client_email,
            "scope": self.scope,
            "aud": self.token_url,
            "iat": now,
            "exp": now + ASSERTION_LIFETIME,
        }
        headers = {"kid": self._key_id} if self._key_id else None
        return jwt.encode(claims, self._key, algorithm="RS256", headers=headers)

    def _fetch(self) -> tuple[str, float]:
        now = self._clock()
        assertion = self._assertion(int(now))
        try:
            response = self._client.post(
                self.token_url,
                data={"grant_type": JWT_BEARER_GRANT, "assertion": assertion},
                headers={"Accept": "application/json"},
            )
        except httpx.TimeoutException:
            raise Unavailable(
                f"Google token endpoint {self.token_url} timed out", origin="drive"
            ) from None
        except httpx.TransportError as exc:
            raise Unavailable(
                f"could not reach Google token endpoint {self.token_url} ({type(exc).__name__})",
                origin="drive",
            ) from None
        self.fetch_count += 1
        status = response.status_code
        if status == 200:
            try:
                data = response.json()
                token = str(data["access_token"])
                expires_in = float(data.get("expires_in", ASSERTION_LIFETIME))
            except (ValueError, KeyError, TypeError):
                raise ProtocolError(
                    "Google token endpoint returned no access_token", origin="drive"
                ) from None
            return token, now + expires_in
        detail = _oauth_error(response, assertion)
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("retry-after"), now)
            raise RateLimited(
                f"Google token endpoint rate limited ({detail})",
                origin="drive",
                retry_after=retry_after,
                status=status,
            )
        if status >= 500:
            raise Unavailable(
                f"Google token endpoint failed ({status} {detail})", origin="drive", status=status
            )
        hint = ""
        if "jwt" in detail.lower() and ("iat" in detail.lower() or "exp" in detail.lower()):
            hint = " and that this machine's clock is correct"
        raise AuthError(
            f"Google refused the service account {self.client_email} ({status} {detail}): "
            f"check that {self.setting} holds a current, enabled key{hint}",
            origin="drive",
            status=status,
        )

    def _config_error(self, problem: str) -> AuthError:
        return AuthError(f"{self.setting} {problem}", origin="drive", type="credentials")


def token_provider_from_settings(
    *,
    service_account_file: str | Path | None = None,
    access_token: str | None = None,
    token_url: str | None = None,
    client: httpx.Client | None = None,
    clock: Callable[[], float] = time.time,
) -> TokenProvider:
    """Pick the credentials configured: the key file wins, as its tokens refresh themselves."""
    if service_account_file:
        return ServiceAccountTokenProvider.from_file(
            service_account_file,
            token_url=token_url or DEFAULT_TOKEN_URL,
            client=client,
            clock=clock,
        )
    if access_token:
        return StaticTokenProvider(access_token)
    raise AuthError(
        f"no Google credentials: set {SERVICE_ACCOUNT_SETTING} (a service-account key file) "
        f"or {ACCESS_TOKEN_SETTING}",
        origin="drive",
        type="credentials",
    )


def _load_private_key(pem: str) -> RSAPrivateKey | None:
    """The RSA key, or None; the reason is dropped because it may quote key material."""
    try:
        key = serialization.load_pem_private_key(pem.encode("utf-8"), password=None)
    except Exception:  # any parse or backend error; never let its text escape
        return None
    return key if isinstance(key, RSAPrivateKey) else None


def _oauth_error(response: httpx.Response, *secrets: str) -> str:
    try:
        data = response.json()
    except ValueError:
        return server_text(response.text[:200], *secrets)
    if not isinstance(data, dict):
        return ""
    error = data.get("error")
    if isinstance(error, dict):  # some Google endpoints use the API error shape
        text = f"{error.get('status', '')} {error.get('message', '')}".strip()
        return server_text(text, *secrets)
    text = str(error or "")
    if data.get("error_description"):
        text = f"{text}: {data['error_description']}"
    return server_text(text, *secrets)
