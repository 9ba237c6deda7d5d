"""Mounts the gateway's fake upstream into the fake Open-Meteo app: the three API paths,
/data/<model>/static/meta.json and the /_gateway/ steering routes go to it; the /weather
provider's own forecast calls (GET, one point, exactly its `current` list) stay with the
original fake, whose modes and counters the existing tests rely on."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs

import msgspec

from tests.support.fake_open_meteo import gateway_app
from tests.support.fake_open_meteo.gateway_app import GatewayControl, GatewayState
from tests.support.fake_open_meteo.upstream import read_body

_META = re.compile(r"/data/([a-z0-9_]{1,64})/static/meta\.json")
_WEATHER_KEYS = {"latitude", "longitude", "current"}
_WEATHER_CURRENT = "temperature_2m,relative_humidity_2m,weather_code"
ASGI = Any
_URI_TOO_LONG = b"<html><head><title>414 Request-URI Too Large</title></head></html>\n"


def with_gateway(legacy: ASGI) -> GatewayMount:
    return GatewayMount(legacy)


class GatewayMount:
    def __init__(self, legacy: ASGI) -> None:
        self.legacy = legacy
        self.state = GatewayState()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not self._handles(scope):
            await self.legacy(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        if path.startswith("/_gateway/"):
            await self._steer(method, path, await read_body(receive), send)
        elif (found := _META.fullmatch(path)) is not None:
            doc = gateway_app.meta(self.state, found[1])
            await _reply(send, 200 if doc else 404, doc or {"error": True, "reason": "Not Found"})
        elif gateway_app.too_long(path, scope["query_string"]):
            await _send(send, 414, _URI_TOO_LONG, "text/html")
        else:
            content_type = dict(scope["headers"]).get(b"content-type", b"").decode("latin-1")
            pairs = gateway_app.pairs_of(
                scope["query_string"], await read_body(receive), content_type
            )
            status, body, kind = await gateway_app.serve(self.state, method, path, pairs)
            await _send(send, status, body, kind)

    def _handles(self, scope: dict[str, Any]) -> bool:
        path = scope["path"]
        if path.startswith(("/_gateway/", "/data/")) or path in gateway_app.PATHS[1:]:
            return True
        return path == "/v1/forecast" and not _from_weather_provider(scope)

    async def _steer(self, method: str, path: str, body: bytes, send: Any) -> None:
        if (method, path) == ("GET", "/_gateway/calls"):
            await _reply(send, 200, self.state.calls)
        elif (method, path) == ("POST", "/_gateway/reset"):
            self.state = GatewayState()
            await _reply(send, 200, self.state.view())
        elif (method, path) == ("POST", "/_gateway/control"):
            try:
                self.state.apply(msgspec.json.decode(body or b"{}", type=GatewayControl))
            except (msgspec.DecodeError, ValueError) as e:
                await _reply(send, 400, {"error": True, "reason": str(e)})
                return
            await _reply(send, 200, self.state.view())
        else:
            await _reply(send, 404, {"error": True, "reason": "Not Found"})


def _from_weather_provider(scope: dict[str, Any]) -> bool:
    query = parse_qs(scope["query_string"].decode("latin-1"))
    return (
        scope["method"] == "GET"
        and set(query) == _WEATHER_KEYS
        and query["current"] == [_WEATHER_CURRENT]
        and len(query["latitude"]) == 1
    )


async def _reply(send: Any, status: int, doc: Any) -> None:
    await _send(send, status, msgspec.json.encode(doc), "application/json; charset=utf-8")


async def _send(send: Any, status: int, body: bytes, content_type: str) -> None:
    headers = [
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
