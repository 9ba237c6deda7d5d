"""ClientLimits, the ASGI wrapper of RATE_LIMIT: who is counted, and what a refusal says."""

from __future__ import annotations

import json
from typing import Any

import pytest
from dependency_injector import providers
from litestar.testing import AsyncTestClient

from entrypoints.container import Container, app_wiring
from entrypoints.http.app import create_asgi
from entrypoints.http.middleware.client_limits import ClientLimits
from entrypoints.settings import Settings
from tests.unit.fakes import FakeClock, FakeProvider


class ScriptedLimit:
    """Admits the first `admits` requests, then says to wait `wait_s`; records clients."""

    def __init__(self, admits: int, wait_s: float = 12.3) -> None:
        self.admits = admits
        self.wait_s = wait_s
        self.clients: list[str] = []

    async def admit(self, client: str) -> float | None:
        self.clients.append(client)
        return None if len(self.clients) <= self.admits else self.wait_s


async def call(app: ClientLimits, path: str, method: str = "GET") -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {"type": "http", "path": path, "method": method, "client": ("10.0.0.7", 5555)}
    await app(scope, None, send)  # type: ignore[arg-type]
    return sent


async def inner(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def limited(limit: ScriptedLimit, refused: list[str] | None = None) -> ClientLimits:
    on_refused = None if refused is None else (lambda scope: refused.append(scope["path"]))
    return ClientLimits(inner, lambda: limit, retry_after_max_s=3_600, on_refused=on_refused)


async def test_a_client_within_its_limit_reaches_the_app_and_one_over_gets_a_json_429() -> None:
    limit, refused = ScriptedLimit(admits=1), []
    app = limited(limit, refused)
    assert (await call(app, "/weather"))[0]["status"] == 200
    start, body = await call(app, "/weather")
    headers = dict(start["headers"])
    assert start["status"] == 429
    assert headers[b"content-type"] == b"application/json"
    assert headers[b"retry-after"] == b"13"  # whole seconds, rounded up
    assert headers[b"cache-control"] == b"no-store"
    assert int(headers[b"content-length"]) == len(body["body"])
    assert json.loads(body["body"]) == {
        "error": "http_429",
        "detail": "rate limit exceeded",
        "status_code": 429,
    }
    assert limit.clients == ["10.0.0.7", "10.0.0.7"]
    assert refused == ["/weather"]  # counted in /metrics and the access log


async def test_a_wait_beyond_the_retry_after_ceiling_is_cut_to_it() -> None:
    app = ClientLimits(inner, lambda: ScriptedLimit(0, wait_s=86_400), retry_after_max_s=3_600)
    start, _ = await call(app, "/weather")
    assert dict(start["headers"])[b"retry-after"] == b"3600"


@pytest.mark.parametrize(
    "path", ["/healthz", "/livez", "/readyz", "/metrics", "/status", "/status/data"]
)
async def test_probes_scrapers_and_the_status_page_are_never_counted(path: str) -> None:
    limit = ScriptedLimit(admits=0)
    assert (await call(limited(limit), path))[0]["status"] == 200
    assert limit.clients == []


async def test_a_browsers_preflight_is_not_counted() -> None:
    limit = ScriptedLimit(admits=0)
    assert (await call(limited(limit), "/weather", method="OPTIONS"))[0]["status"] == 200
    assert limit.clients == []


async def test_every_other_path_is_counted_even_one_that_does_not_exist() -> None:
    limit = ScriptedLimit(admits=2)
    statuses = [(await call(limited(limit), p))[0]["status"] for p in ("/stats", "/x", "/schema")]
    assert statuses == [200, 200, 429]


async def test_in_the_app_a_near_hit_is_counted_and_a_refusal_is_readable_cross_origin() -> None:
    container = Container()
    origin = "http://127.0.0.1:5173"
    env = {"SKYCACHE_CACHE": "memory", "RATE_LIMIT": "2/minute", "CORS_ALLOW_ORIGINS": origin}
    container.settings.override(providers.Object(Settings.from_env(env)))
    container.provider.override(providers.Object(FakeProvider()))
    container.clock.override(providers.Object(FakeClock()))
    async with AsyncTestClient(app=create_asgi(app_wiring(container))) as client:
        asked = {"params": {"city": "Boise"}, "headers": {"origin": origin}}
        answers = [await client.get("/weather", **asked) for _ in range(3)]
        head = await client.head("/weather", **asked)
        preflight = await client.options(
            "/weather", headers={"origin": origin, "access-control-request-method": "GET"}
        )
        health = await client.get("/healthz")
    assert [(a.status_code, a.headers.get("x-cache")) for a in answers] == [
        (200, "MISS"),
        (200, "HIT"),  # the near cache's, counted like any request
        (429, None),
    ]
    refused = answers[2]
    assert refused.json()["error"] == "http_429"
    assert refused.headers["access-control-allow-origin"] == origin
    assert "retry-after" in refused.headers
    assert len(refused.headers.get_list("date")) == 1  # its own: it is sent before DatedAnswers
    assert (head.status_code, head.content) == (429, b"")
    assert preflight.status_code < 300 and health.status_code == 200
