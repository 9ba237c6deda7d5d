"""The fake Open-Meteo as a raw ASGI app, with its behaviour steered over HTTP."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qs

import msgspec

from tests.support.fake_open_meteo import payloads

Endpoint = Literal["geocoding", "forecast"]
Mode = Literal[
    "ok", "error400", "error429", "error500", "timeout", "bad_json", "missing_fields",
    "wrong_shape", "refuse", "daily429",
]  # fmt: skip
ENDPOINTS: tuple[Endpoint, ...] = ("geocoding", "forecast")
HANG_S = 30.0  # longer than any client timeout; shutdown cancels it after a second
RETRY_AFTER_S = 60


class Control(msgspec.Struct, forbid_unknown_fields=True):
    """POST /_control body; absent fields are left as they are."""

    endpoint: Literal["geocoding", "forecast", "both"] = "both"
    mode: Mode | msgspec.UnsetType = msgspec.UNSET
    latency_s: float | msgspec.UnsetType = msgspec.UNSET
    weather_code: int | msgspec.UnsetType | None = msgspec.UNSET  # force it; null = derived
    accept_any: bool | msgspec.UnsetType = msgspec.UNSET  # any name geocodes


@dataclass
class State:
    accept_any: bool
    weather_code: int | None = None
    modes: dict[str, str] = field(default_factory=lambda: dict.fromkeys(ENDPOINTS, "ok"))
    latency: dict[str, float] = field(default_factory=lambda: dict.fromkeys(ENDPOINTS, 0.0))
    calls: Counter[str] = field(default_factory=Counter)

    def apply(self, control: Control) -> None:
        targets = ENDPOINTS if control.endpoint == "both" else (control.endpoint,)
        for endpoint in targets:
            if control.mode is not msgspec.UNSET:
                self.modes[endpoint] = control.mode
            if control.latency_s is not msgspec.UNSET:
                self.latency[endpoint] = max(control.latency_s, 0.0)
        if control.weather_code is not msgspec.UNSET:
            self.weather_code = control.weather_code
        if control.accept_any is not msgspec.UNSET:
            self.accept_any = control.accept_any

    def view(self) -> dict[str, Any]:
        calls = {e: self.calls[e] for e in ENDPOINTS}
        keys = ("modes", "latency", "weather_code", "accept_any")
        return {k: getattr(self, k) for k in keys} | {"calls": calls}


def build_app(*, accept_any: bool = False) -> Any:
    state = State(accept_any)

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        nonlocal state
        if scope["type"] != "http":
            return
        route = (scope["method"], scope["path"])
        query = {k: v[-1] for k, v in parse_qs(scope["query_string"].decode()).items()}
        if route == ("GET", "/v1/search"):
            await _serve(state, "geocoding", query, send)
        elif route == ("GET", "/v1/forecast"):
            await _serve(state, "forecast", query, send)
        elif route == ("GET", "/_calls"):
            await _reply(send, 200, state.view()["calls"])
        elif route == ("GET", "/_state"):
            await _reply(send, 200, state.view())
        elif route == ("POST", "/_reset"):
            state = State(accept_any)  # requests in flight keep the old one
            await _reply(send, 200, state.view())
        elif route == ("POST", "/_control"):
            await _control(state, await _body(receive), send)
        else:
            await _reply(send, 404, {"error": True, "reason": "Not Found"})

    return app


async def _control(state: State, body: bytes, send: Any) -> None:
    try:
        state.apply(msgspec.json.decode(body, type=Control))
    except msgspec.DecodeError as e:
        await _reply(send, 400, {"error": True, "reason": str(e)})
        return
    await _reply(send, 200, state.view())


async def _serve(state: State, endpoint: Endpoint, query: dict[str, str], send: Any) -> None:
    state.calls[endpoint] += 1
    if state.latency[endpoint]:
        await asyncio.sleep(state.latency[endpoint])
    mode = state.modes[endpoint]
    if mode == "timeout":
        await asyncio.sleep(HANG_S)
    if mode == "refuse":
        # ASGI cannot refuse a connection; this drops it mid-response instead, which
        # clients see as a transport error (httpx.RemoteProtocolError).
        await send({"type": "http.response.start", "status": 200, "headers": _LENGTH_99})
        return
    if (mode, endpoint) in payloads.BROKEN:
        await _send(send, 200, payloads.BROKEN[mode, endpoint])
    elif mode in payloads.ERRORS:
        status, reason = payloads.ERRORS[mode]
        extra = [(b"retry-after", str(RETRY_AFTER_S).encode())] if status == 429 else []
        await _reply(send, status, {"error": True, "reason": reason}, extra)
    elif endpoint == "geocoding":
        await _reply(send, 200, payloads.search(query.get("name", ""), accept_any=state.accept_any))
    else:
        await _forecast(state, query, send)


async def _forecast(state: State, query: dict[str, str], send: Any) -> None:
    try:
        lat, lon = float(query["latitude"]), float(query["longitude"])
    except (KeyError, ValueError):
        reason = "Parameter 'latitude' and 'longitude' must be numbers"
        await _reply(send, 400, {"error": True, "reason": reason})
        return
    variables = query.get("current", "").split(",")
    await _reply(send, 200, payloads.forecast(lat, lon, variables, state.weather_code))


_LENGTH_99 = [(b"content-type", b"application/json"), (b"content-length", b"99")]


async def _body(receive: Any) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


Headers = Sequence[tuple[bytes, bytes]]


async def _reply(send: Any, status: int, doc: Any, extra: Headers = ()) -> None:
    await _send(send, status, msgspec.json.encode(doc), extra)


async def _send(send: Any, status: int, body: bytes, extra: Headers = ()) -> None:
    length = (b"content-length", str(len(body)).encode())
    headers = [(b"content-type", b"application/json; charset=utf-8"), length, *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
