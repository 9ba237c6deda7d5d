"""REDIS_URL with a password, and over TLS (rediss://), against a real redis-server."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.conftest import StartApp
from tests.support.app_server import AppServer
from tests.support.secure_redis import SecureRedisServer, tls_supported

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

PASSWORD = "s3cret-Pa55word"


@pytest.fixture(scope="module")
def secure_redis() -> Iterator[SecureRedisServer]:
    with SecureRedisServer(PASSWORD, tls=tls_supported()) as server:
        yield server


async def health_and_fetch(app: AppServer) -> tuple[dict[str, object], int]:
    async with httpx.AsyncClient(base_url=app.url) as client:
        health = (await client.get("/healthz")).json()
        status = (await client.get("/weather", params={"city": "Boise"})).status_code
    return health, status


async def test_a_password_in_redis_url_is_used_and_never_logged(
    start_app: StartApp, secure_redis: SecureRedisServer
) -> None:
    app = start_app({"REDIS_URL": secure_redis.url, "LOG_LEVEL": "debug"})
    health, status = await health_and_fetch(app)
    assert health == {"redis_ok": True, "provider_ok": True, "cache": "redis"}
    assert status == 200
    with secure_redis.client() as redis:
        assert redis.exists("skycache:v2:{boise}:weather")
    assert PASSWORD not in app.output()


async def test_a_wrong_password_with_cache_auto_falls_back_to_memory_with_a_loud_warning(
    start_app: StartApp, secure_redis: SecureRedisServer
) -> None:
    url = secure_redis.url.replace(PASSWORD, "wrong-password")
    app = start_app({"REDIS_URL": url, "SKYCACHE_CACHE": "auto"})
    health, status = await health_and_fetch(app)
    assert health == {"redis_ok": False, "provider_ok": True, "cache": "memory"}
    assert status == 200
    output = app.output()
    assert "IN-MEMORY CACHE" in output and "AuthenticationError" in output
    assert "wrong-password" not in output


def test_a_wrong_password_with_cache_redis_refuses_to_start(
    start_app: StartApp, secure_redis: SecureRedisServer
) -> None:
    url = secure_redis.url.replace(PASSWORD, "wrong-password")
    with pytest.raises(RuntimeError, match="app exited at start-up") as refused:
        start_app({"REDIS_URL": url, "SKYCACHE_CACHE": "redis"})
    assert "SKYCACHE_CACHE=redis but Redis at redis://:***@127.0.0.1" in str(refused.value)
    assert "AuthenticationError" in str(refused.value)
    assert "wrong-password" not in str(refused.value)


tls = pytest.mark.skipif(not tls_supported(), reason="this redis-server has no TLS support")


@tls
@pytest.mark.parametrize(
    "trust",
    [
        pytest.param("ssl_ca_certs={ca}", id="verified-against-the-ca-named-in-the-url"),
        pytest.param("ssl_cert_reqs=none", id="unverified-when-told"),
    ],
)
async def test_redis_over_tls_is_used_when_the_url_says_how_to_trust_the_server(
    start_app: StartApp, secure_redis: SecureRedisServer, trust: str
) -> None:
    query = trust.format(ca=secure_redis.ca_file)
    app = start_app({"REDIS_URL": f"{secure_redis.tls_url}?{query}"})
    health, status = await health_and_fetch(app)
    assert health["redis_ok"] is True and health["cache"] == "redis"
    assert status == 200


@tls
def test_redis_over_tls_refuses_a_certificate_it_cannot_verify(
    start_app: StartApp, secure_redis: SecureRedisServer
) -> None:
    with pytest.raises(RuntimeError, match="app exited at start-up") as refused:
        start_app({"REDIS_URL": secure_redis.tls_url, "SKYCACHE_CACHE": "redis"})
    assert "does not answer" in str(refused.value)
