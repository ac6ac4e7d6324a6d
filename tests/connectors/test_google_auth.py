"""Service-account JWT-bearer flow and fixed tokens, against the fake token endpoint."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from engine.connectors import (
    AuthError,
    ConnectorError,
    RateLimited,
    ServiceAccountTokenProvider,
    StaticTokenProvider,
    TokenProvider,
    Unavailable,
    token_provider_from_settings,
)
from engine.connectors.google_auth import DRIVE_SCOPE, JWT_BEARER_GRANT, REFRESH_MARGIN
from tests.fakes import FakeClock
from tests.fakes.google_oauth import FakeGoogleOAuth, generate_rsa_key


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    """One key per module: generation is the slow part, and it is never written to git."""
    return generate_rsa_key()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def oauth(clock: FakeClock) -> FakeGoogleOAuth:
    return FakeGoogleOAuth(clock=clock)


@pytest.fixture
def key_info(oauth: FakeGoogleOAuth, rsa_key: rsa.RSAPrivateKey) -> dict[str, Any]:
    return oauth.create_service_account(key=rsa_key)


def provider(
    oauth: FakeGoogleOAuth, info: dict[str, Any], clock: FakeClock
) -> ServiceAccountTokenProvider:
    return ServiceAccountTokenProvider(
        info, token_url=oauth.token_url, client=oauth.client(), clock=clock
    )


def secrets_of(info: dict[str, Any]) -> list[str]:
    """Recognisable slices of the private key: none may show up anywhere."""
    body = "".join(info["private_key"].splitlines()[1:-1])
    return [info["private_key"], body[:40], body[100:140], body[-40:]]


# ----------------------------------------------------------------------------- the flow


def test_assertion_has_the_documented_claims_and_signature(
    oauth: FakeGoogleOAuth, key_info: dict[str, Any], clock: FakeClock
) -> None:
    token = provider(oauth, key_info, clock).token()

    assert oauth.is_valid(token)
    form = {k: v[0] for k, v in parse_qs(oauth.requests[0].content.decode()).items()}
    assert form["grant_type"] == JWT_BEARER_GRANT
    claims = jwt.decode(
        form["assertion"],
        oauth.accounts[key_info["client_email"]].keys[key_info["private_key_id"]],
        algorithms=["RS256"],
        audience=oauth.token_url,
        options={"verify_exp": False, "verify_iat": False},
    )
    assert claims == {
        "iss": key_info["client_email"],
        "scope": DRIVE_SCOPE,
        "aud": oauth.token_url,
        "iat": int(clock()),
        "exp": int(clock()) + 3600,
    }
    assert jwt.get_unverified_header(form["assertion"])["kid"] == key_info["private_key_id"]


def test_token_is_cached_until_shortly_before_expiry(
    oauth: FakeGoogleOAuth, key_info: dict[str, Any], clock: FakeClock
) -> None:
    tokens = provider(oauth, key_info, clock)
    first = tokens.token()

    clock.advance(3600 - REFRESH_MARGIN - 1)
    assert tokens.token() == first
    assert oauth.token_requests == 1

    clock.advance(2)  # inside the refresh margin: a new token before the old one dies
    second = tokens.token()
    assert second != first and oauth.is_valid(second)
    assert oauth.token_requests == 2 and tokens.fetch_count == 2


def test_invalidate_forces_a_new_token(
    oauth: FakeGoogleOAuth, key_info: dict[str, Any], clock: FakeClock
) -> None:
    tokens = provider(oauth, key_info, clock)
    first = tokens.token()
    tokens.invalidate()
    assert tokens.token() != first
    assert oauth.token_requests == 2


def test_concurrent_callers_share_one_request(
    oauth: FakeGoogleOAuth, key_info: dict[str, Any], clock: FakeClock
) -> None:
    tokens = provider(oauth, key_info, clock)
    seen: list[str] = []
    threads = [threading.Thread(target=lambda: seen.append(tokens.token())) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(seen)) == 1 and oauth.token_requests == 1


def test_token_uri_from_key_file_is_used_when_no_url_given(
    oauth: FakeGoogleOAuth, key_info: dict[str, Any], clock: FakeClock
) -> None:
    tokens = ServiceAccountTokenProvider(key_info, client=oauth.client(), clock=clock)
    assert tokens.token_url == oauth.token_url
    assert oauth.is_valid(tokens.token())


def test_satisfies_the_protocol(oauth: FakeGoogleOAuth, key_info: dict[str, Any]) -> None:
    assert isinstance(ServiceAccountTokenProvider(key_info), TokenProvider)
    assert isinstance(StaticTokenProvider("abc-123"), TokenProvider)


# ----------------------------------------------------------------------------- key file errors


def test_from_file_reads_a_key_file(
    tmp_path: Path, oauth: FakeGoogleOAuth, key_info: dict[str, Any], clock: FakeClock
) -> None:
    path = tmp_path / "sa.json"
    path.write_text(json.dumps(key_info))
    tokens = ServiceAccountTokenProvider.from_file(path, client=oauth.client(), clock=clock)
    assert tokens.client_email == key_info["client_email"]
    assert oauth.is_valid(tokens.token())


def test_unreadable_key_file_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(AuthError) as info:
        ServiceAccountTokenProvider.from_file(tmp_path / "missing.json")
    assert "HUB_GOOGLE_SERVICE_ACCOUNT_FILE" in info.value.message
    assert "cannot be read" in info.value.message
    assert not info.value.retryable and info.value.type == "credentials"


def test_non_json_key_file(tmp_path: Path) -> None:
    path = tmp_path / "sa.json"
    path.write_text("-----BEGIN PRIVATE KEY-----\nnot json\n")
    with pytest.raises(AuthError, match=r"HUB_GOOGLE_SERVICE_ACCOUNT_FILE .* is not JSON"):
        ServiceAccountTokenProvider.from_file(path)


def test_oauth_client_file_is_not_a_service_account_key(tmp_path: Path) -> None:
    path = tmp_path / "client.json"
    path.write_text(json.dumps({"installed": {"client_id": "x", "client_secret": "y"}}))
    with pytest.raises(AuthError, match="not a service-account key"):
        ServiceAccountTokenProvider.from_file(path)


def test_missing_fields(key_info: dict[str, Any]) -> None:
    info = {**key_info, "client_email": ""}
    with pytest.raises(AuthError, match="missing client_email or private_key"):
        ServiceAccountTokenProvider(info)


def test_broken_private_key_is_reported_without_quoting_it(key_info: dict[str, Any]) -> None:
    pem = key_info["private_key"]
    broken = pem[:200] + "!!!" + pem[203:]
    with pytest.raises(AuthError) as info:
        ServiceAccountTokenProvider({**key_info, "private_key": broken})
    assert "private_key" in info.value.message
    for secret in secrets_of({"private_key": broken}):
        assert secret not in str(info.value)
    assert info.value.__cause__ is None and info.value.__context__ is None


# ----------------------------------------------------------------------------- endpoint errors


def test_unregistered_key_is_auth_error(
    oauth: FakeGoogleOAuth, key_info: dict[str, Any], clock: FakeClock
) -> None:
    oauth.delete_key(key_info["client_email"], key_info["private_key_id"])
    with pytest.raises(AuthError) as info:
        provider(oauth, key_info, clock).token()
    assert info.value.status == 400 and not info.value.retryable
    assert "invalid_grant" in info.value.message
    assert "HUB_GOOGLE_SERVICE_ACCOUNT_FILE" in info.value.message


def test_wrong_key_for_the_account_is_auth_error(
    oauth: FakeGoogleOAuth, key_info: dict[str, Any], clock: FakeClock
) -> None:
    impostor = oauth.create_service_account("other@bakhmach-test.iam.gserviceaccount.com")
    forged = {**key_info, "private_key": impostor["private_key"]}
    with pytest.raises(AuthError, match="Invalid JWT Signature"):
        provider(oauth, forged, clock).token()


def test_skewed_clock_hints_at_the_clock(
    oauth: FakeGoogleOAuth, key_info: dict[str, Any], clock: FakeClock
) -> None:
    behind = FakeClock(clock() - 7200)
    tokens = ServiceAccountTokenProvider(
        key_info, token_url=oauth.token_url, client=oauth.client(), clock=behind
    )
    with pytest.raises(AuthError, match="clock"):
        tokens.token()


@pytest.mark.parametrize(
    ("inject", "error"),
    [
        (lambda o: o.faults.status(503, json={"error": "backend"}), Unavailable),
        (lambda o: o.faults.timeout(), Unavailable),
        (lambda o: o.faults.network_error(), Unavailable),
        (
            lambda o: o.faults.status(429, json={"error": "rate"}, headers={"retry-after": "7"}),
            RateLimited,
        ),
    ],
)
def test_transient_endpoint_failures_are_retryable(
    oauth: FakeGoogleOAuth,
    key_info: dict[str, Any],
    clock: FakeClock,
    inject: Any,
    error: type[ConnectorError],
) -> None:
    tokens = provider(oauth, key_info, clock)
    inject(oauth)
    with pytest.raises(error) as info:
        tokens.token()
    assert info.value.retryable and info.value.origin == "drive"
    assert oauth.is_valid(tokens.token())  # recovers once the endpoint does


def test_no_key_assertion_or_token_in_errors_or_repr(
    oauth: FakeGoogleOAuth, key_info: dict[str, Any], clock: FakeClock
) -> None:
    tokens = provider(oauth, key_info, clock)
    issued = tokens.token()
    tokens.invalidate()
    # A hostile endpoint echoing everything it received back in the error.
    oauth.faults.add(
        lambda request: httpx.Response(
            400,
            json={"error": "invalid_grant", "error_description": request.content.decode()},
        )
    )
    with pytest.raises(AuthError) as info:
        tokens.token()
    assertion = parse_qs(oauth.requests[-1].content.decode())["assertion"][0]
    texts = [str(info.value), repr(info.value), repr(tokens), str(info.value.to_dict())]
    for text in texts:
        assert assertion not in text and issued not in text
        for secret in secrets_of(key_info):
            assert secret not in text


# ----------------------------------------------------------------------------- static + settings


def test_static_token() -> None:
    tokens = StaticTokenProvider("  ya29-ready-token-value ")
    assert tokens.token() == "ya29-ready-token-value"
    tokens.invalidate()
    assert tokens.token() == "ya29-ready-token-value"
    assert "ya29-ready-token-value" not in repr(tokens)
    assert tokens.setting == "HUB_GOOGLE_ACCESS_TOKEN"


def test_empty_static_token_names_the_setting() -> None:
    with pytest.raises(AuthError, match="HUB_GOOGLE_ACCESS_TOKEN is empty"):
        StaticTokenProvider(" ")


def test_settings_prefer_the_key_file(
    tmp_path: Path, oauth: FakeGoogleOAuth, key_info: dict[str, Any], clock: FakeClock
) -> None:
    path = tmp_path / "sa.json"
    path.write_text(json.dumps(key_info))
    tokens = token_provider_from_settings(
        service_account_file=path,
        access_token="fixed-token-1234",
        token_url=oauth.token_url,
        client=oauth.client(),
        clock=clock,
    )
    assert isinstance(tokens, ServiceAccountTokenProvider)
    assert isinstance(token_provider_from_settings(access_token="fixed-1"), StaticTokenProvider)


def test_no_credentials_names_both_settings() -> None:
    with pytest.raises(AuthError) as info:
        token_provider_from_settings()
    assert "HUB_GOOGLE_SERVICE_ACCOUNT_FILE" in info.value.message
    assert "HUB_GOOGLE_ACCESS_TOKEN" in info.value.message
