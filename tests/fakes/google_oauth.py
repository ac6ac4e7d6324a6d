"""A fake Google OAuth 2.0 token endpoint for the service-account JWT-bearer grant.

It verifies what Google verifies: the grant type, the RS256 signature against the public
key of a registered service account (looked up by ``kid``, else by ``iss``), the audience,
the scope, and that ``iat``/``exp`` describe a token of at most an hour that is valid now.
It issues opaque access tokens that expire after ``token_lifetime`` seconds of the shared
clock; :meth:`FakeGoogleOAuth.is_valid` is what :class:`tests.fakes.drive.FakeDrive` uses as
its ``token_validator``.

Keys are generated at test time (:meth:`FakeGoogleOAuth.create_service_account`); none is
ever stored in the repository.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.fakes import FakeClock, FakeService, json_response

JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
DEFAULT_TOKEN_URL = "https://oauth2.googleapis.test/token"


@dataclass
class IssuedToken:
    """An access token the fake handed out."""

    value: str
    client_email: str
    scope: str
    expires_at: float
    revoked: bool = False


@dataclass
class _Account:
    client_email: str
    keys: dict[str, rsa.RSAPublicKey]
    disabled: bool = False


def generate_rsa_key(bits: int = 2048) -> rsa.RSAPrivateKey:
    """A fresh RSA key for one test run."""
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def private_key_pem(key: rsa.RSAPrivateKey) -> str:
    """PKCS#8 PEM, the format Google puts in key files."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


class FakeGoogleOAuth(FakeService):
    """The token endpoint at ``token_url``; register accounts, then mint tokens."""

    def __init__(
        self,
        *,
        token_url: str = DEFAULT_TOKEN_URL,
        clock: Callable[[], float] | None = None,
        token_lifetime: int = 3600,
        max_clock_skew: float = 300.0,
    ) -> None:
        super().__init__(token_url)
        self.token_url = token_url
        self.clock: Callable[[], float] = clock or FakeClock()
        self.token_lifetime = token_lifetime
        self.max_clock_skew = max_clock_skew
        self.accounts: dict[str, _Account] = {}
        self.issued: list[IssuedToken] = []
        #: Claims of the last assertion that verified, for assertions in tests.
        self.last_claims: dict[str, Any] | None = None
        self.last_header: dict[str, Any] | None = None
        self._counter = 0

    # ================================================================== test helpers

    def create_service_account(
        self,
        client_email: str = "hub-sync@bakhmach-test.iam.gserviceaccount.com",
        *,
        key: rsa.RSAPrivateKey | None = None,
        key_id: str | None = None,
    ) -> dict[str, Any]:
        """Register an account and return its key file contents (as Google downloads it)."""
        key = key or generate_rsa_key()
        self._counter += 1
        key_id = key_id or hashlib.sha1(f"key:{self._counter}".encode()).hexdigest()
        self.register_key(client_email, key_id, key.public_key())
        return {
            "type": "service_account",
            "project_id": "bakhmach-test",
            "private_key_id": key_id,
            "private_key": private_key_pem(key),
            "client_email": client_email,
            "client_id": "100000000000000000001",
            "auth_uri": "https://accounts.google.test/o/oauth2/auth",
            "token_uri": self.token_url,
        }

    def register_key(self, client_email: str, key_id: str, public_key: rsa.RSAPublicKey) -> None:
        account = self.accounts.setdefault(client_email, _Account(client_email, {}))
        account.keys[key_id] = public_key

    def delete_key(self, client_email: str, key_id: str) -> None:
        """Revoke a key, as deleting it in the console does."""
        self.accounts[client_email].keys.pop(key_id, None)

    def disable_account(self, client_email: str) -> None:
        self.accounts[client_email].disabled = True

    def is_valid(self, token: str) -> bool:
        """Whether ``token`` was issued here, is not revoked and has not expired."""
        now = self.clock()
        return any(t.value == token and not t.revoked and now < t.expires_at for t in self.issued)

    def revoke(self, token: str | None = None) -> None:
        """Revoke one token, or every token issued so far."""
        for t in self.issued:
            if token is None or t.value == token:
                t.revoked = True

    @property
    def token_requests(self) -> int:
        return self.count("POST")

    # ================================================================== HTTP

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.method != "POST" or self.route_path(request) != "/":
            return json_response(404, {"error": "not_found"})
        form = {k: v[0] for k, v in parse_qs(request.content.decode("utf-8", "replace")).items()}
        if form.get("grant_type") != JWT_BEARER_GRANT:
            return _oauth_error(
                "unsupported_grant_type", f"Invalid grant_type: {form.get('grant_type', '')}"
            )
        assertion = form.get("assertion")
        if not assertion:
            return _oauth_error("invalid_request", "Missing required parameter: assertion")
        try:
            header = jwt.get_unverified_header(assertion)
            unverified = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError:
            return _oauth_error("invalid_grant", "Invalid JWT: malformed")
        if header.get("alg") != "RS256":
            return _oauth_error("invalid_grant", "Invalid JWT Signature.")
        account = self.accounts.get(str(unverified.get("iss")))
        if account is None or account.disabled:
            return _oauth_error("invalid_grant", "Invalid grant: account not found")
        kid = header.get("kid")
        keys = (
            [account.keys[kid]]
            if kid in account.keys
            else ([] if kid else list(account.keys.values()))
        )
        claims: dict[str, Any] | None = None
        for public_key in keys:
            try:
                claims = jwt.decode(
                    assertion,
                    public_key,
                    algorithms=["RS256"],
                    audience=self.token_url,
                    options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
                )
                break
            except jwt.InvalidAudienceError:
                return _oauth_error("invalid_grant", "Invalid JWT: audience mismatch")
            except jwt.PyJWTError:
                continue
        if claims is None:
            return _oauth_error("invalid_grant", "Invalid JWT Signature.")
        now = self.clock()
        iat, exp = claims.get("iat"), claims.get("exp")
        if (
            not isinstance(iat, int)
            or not isinstance(exp, int)
            or exp - iat > 3600
            or iat > now + self.max_clock_skew
            or exp < now - self.max_clock_skew
        ):
            return _oauth_error(
                "invalid_grant",
                "Invalid JWT: Token must be a short-lived token (60 minutes) and in a "
                "reasonable timeframe. Check your iat and exp values in the JWT claim.",
            )
        scope = claims.get("scope")
        if not scope:
            return _oauth_error("invalid_scope", "Empty or missing scope not allowed.")
        self.last_claims, self.last_header = claims, header
        self._counter += 1
        value = "fake-access-" + hashlib.sha256(f"{self._counter}:{now}".encode()).hexdigest()[:32]
        self.issued.append(
            IssuedToken(value, account.client_email, str(scope), now + self.token_lifetime)
        )
        return json_response(
            200,
            {"access_token": value, "expires_in": self.token_lifetime, "token_type": "Bearer"},
        )


def _oauth_error(error: str, description: str, status: int = 400) -> httpx.Response:
    return json_response(status, {"error": error, "error_description": description})
