"""The fake Open-Meteo as a raw ASGI app, with its behaviour steered over HTTP."""

from __future__ import annotations

import asyncio
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, Protocol, TypeVar
from urllib.parse import parse_qs

import msgspec

from tests.support.fake_open_meteo import payloads

Endpoint = Literal["geocoding", "forecast"]
Mode = Literal[
    "ok", "error400", "error429", "error500", "timeout", "bad_json", "missing_fields",
    "wrong_shape", "refuse", "daily429",
    # forecast: the real shape with one field spoiled (see payloads.SPOILED)
    "null_humidity", "null_weather_code", "null_temperature", "missing_temperature",
    "float_code", "hot",
    # geocoding: odd 200s that are not Open-Meteo's "no match", and a name far too long
    "error_200", "empty_object", "long_name",
    # either: headers at once then a byte a second; a body of `body_bytes`, made lazily
    "trickle", "huge_body",
]  # fmt: skip
ENDPOINTS: tuple[Endpoint, ...] = ("geocoding", "forecast")
HANG_S = 30.0  # longer than any client timeout; shutdown cancels it after a second
RETRY_AFTER_S = 60
TRICKLE_S = 1.0  # one byte a second: never slow enough for a per-read timeout to fire
TRICKLE_MAX_BYTES = 60  # a minute of it, then the fake gives up too
HUGE_BODY_BYTES = 300 * 1024 * 1024
_CHUNK = b" " * 65_536  # JSON whitespace, sent over and over: nothing held but this
FORECAST_LOG_MAX = 200_000  # about an hour of a soak's forecasts; older ones are dropped


class Control(msgspec.Struct, forbid_unknown_fields=True):
    """POST /_control body; absent fields are left as they are."""

    endpoint: Literal["geocoding", "forecast", "both"] = "both"
    mode: Mode | msgspec.UnsetType = msgspec.UNSET
    latency_s: float | msgspec.UnsetType = msgspec.UNSET
    weather_code: int | msgspec.UnsetType | None = msgspec.UNSET  # force it; null = derived
    accept_any: bool | msgspec.UnsetType = msgspec.UNSET  # any name geocodes
    # The 429's Retry-After header as sent (any text, to try the client's parser); null: 60.
    retry_after: str | msgspec.UnsetType | None = msgspec.UNSET
    # Only requests for these cities (by name, or by their coordinates for the forecast)
    # get the mode; the others are answered "ok". Null or absent: every request.
    only: list[str] | msgspec.UnsetType | None = msgspec.UNSET
    body_bytes: int | msgspec.UnsetType = msgspec.UNSET  # for huge_body


@dataclass
class State:
    accept_any: bool
    weather_code: int | None = None
    retry_after: str | None = None
    only: list[str] | None = None
    body_bytes: int = HUGE_BODY_BYTES
    modes: dict[str, str] = field(default_factory=lambda: dict.fromkeys(ENDPOINTS, "ok"))
    latency: dict[str, float] = field(default_factory=lambda: dict.fromkeys(ENDPOINTS, 0.0))
    calls: Counter[str] = field(default_factory=Counter)
    # Per place: "geocoding <name>" and "forecast <latitude>,<longitude>", as asked.
    places: Counter[str] = field(default_factory=Counter)
    # Per forecast call: [point, start, end, mode] (epoch seconds; the end is when its
    # answer was sent), from which bench/soak finds two fetches of one point at once.
    forecasts: deque[tuple[str, float, float, str]] = field(
        default_factory=lambda: deque(maxlen=FORECAST_LOG_MAX)
    )

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
        if control.retry_after is not msgspec.UNSET:
            self.retry_after = control.retry_after
        if control.only is not msgspec.UNSET:
            self.only = control.only
        if control.body_bytes is not msgspec.UNSET:
            self.body_bytes = control.body_bytes

    def mode_for(self, endpoint: Endpoint, query: dict[str, str]) -> str:
        mode = self.modes[endpoint]
        if self.only is None or payloads.concerns(self.only, endpoint, query):
            return mode
        return "ok"

    def view(self) -> dict[str, Any]:
        calls = {e: self.calls[e] for e in ENDPOINTS}
        keys = ("modes", "latency", "weather_code", "accept_any", "retry_after", "only")
        return {k: getattr(self, k) for k in keys} | {"calls": calls}


def build_app(*, accept_any: bool = False) -> FakeUpstream[State]:
    routes: dict[tuple[str, str], Route[State]] = {
        ("GET", "/v1/search"): lambda state, query, send: _serve(state, "geocoding", query, send),
        ("GET", "/v1/forecast"): lambda state, query, send: _serve(state, "forecast", query, send),
    }
    return FakeUpstream(lambda: State(accept_any), Control, routes, _error, _error("Not Found"))


def _error(reason: str) -> dict[str, Any]:
    return {"error": True, "reason": reason}


class Steerable(Protocol):
    def apply(self, control: Any) -> None: ...
    def view(self) -> dict[str, Any]: ...


S = TypeVar("S", bound=Steerable)
Route = Callable[[S, dict[str, str], Any], Awaitable[None]]


@dataclass
class FakeUpstream(Generic[S]):
    """A fake API as a raw ASGI app: its own `routes`, and the routes that steer it, the
    same on every fake: GET /_calls and /_state, POST /_reset and /_control (a JSON
    `control`, a 400 shaped by `error` when it does not decode); `not_found` for the rest."""

    fresh: Callable[[], S]
    control: type[Any]
    routes: dict[tuple[str, str], Route[S]]
    error: Callable[[str], Any]
    not_found: Any
    state: S = field(init=False)

    def __post_init__(self) -> None:
        self.state = self.fresh()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        route = (scope["method"], scope["path"])
        query = {k: v[-1] for k, v in parse_qs(scope["query_string"].decode()).items()}
        if (serve := self.routes.get(route)) is not None:
            await serve(self.state, query, send)
        elif not await self._steer(route, receive, send):
            await _reply(send, 404, self.not_found)

    async def _steer(self, route: tuple[str, str], receive: Any, send: Any) -> bool:
        if route == ("GET", "/_calls"):
            await _reply(send, 200, self.state.view()["calls"])
        elif route == ("GET", "/_places"):
            await _reply(send, 200, dict(self.state.places))
        elif route == ("GET", "/_forecasts"):
            await _reply(send, 200, list(getattr(self.state, "forecasts", ())))
        elif route == ("GET", "/_state"):
            await _reply(send, 200, self.state.view())
        elif route == ("POST", "/_reset"):
            self.state = self.fresh()  # requests in flight keep the old one
            await _reply(send, 200, self.state.view())
        elif route == ("POST", "/_control"):
            await self._apply(await read_body(receive), send)
        else:
            return False
        return True

    async def _apply(self, body: bytes, send: Any) -> None:
        try:
            self.state.apply(msgspec.json.decode(body, type=self.control))
        except msgspec.DecodeError as e:
            await _reply(send, 400, self.error(str(e)))
            return
        await _reply(send, 200, self.state.view())


async def _serve(state: State, endpoint: Endpoint, query: dict[str, str], send: Any) -> None:
    started, first = time.time(), state.mode_for(endpoint, query)
    await _answer_call(state, endpoint, query, send)
    if endpoint == "forecast":
        last = state.mode_for(endpoint, query)  # a mode switched mid-call shows as both
        mode = first if first == last else f"{first}->{last}"
        state.forecasts.append((_coordinates(query), started, time.time(), mode))


async def _answer_call(state: State, endpoint: Endpoint, query: dict[str, str], send: Any) -> None:
    state.calls[endpoint] += 1
    where = query.get("name", "") if endpoint == "geocoding" else _coordinates(query)
    state.places[f"{endpoint} {where}"] += 1
    if state.latency[endpoint]:
        await asyncio.sleep(state.latency[endpoint])
    mode = state.mode_for(endpoint, query)
    if mode == "huge_body":
        await _huge(send, state.body_bytes)
        return
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
        retry_after = state.retry_after if state.retry_after is not None else str(RETRY_AFTER_S)
        extra = [(b"retry-after", retry_after.encode("latin-1"))] if status == 429 else []
        await _reply(send, status, {"error": True, "reason": reason}, extra)
    elif endpoint == "geocoding" and mode in payloads.ODD_SEARCHES:
        await _reply(send, 200, payloads.ODD_SEARCHES[mode])
    elif endpoint == "geocoding":
        found = payloads.search(query.get("name", ""), accept_any=state.accept_any)
        if mode == "long_name" and "results" in found:
            found["results"] = [found["results"][0] | {"name": "N" * 500}]  # not the shared one
        await _answer(send, mode, found)
    else:
        await _forecast(state, mode, query, send)


async def _answer(send: Any, mode: str, doc: Any) -> None:
    if mode == "trickle":
        await _trickle(send, msgspec.json.encode(doc))
    else:
        await _reply(send, 200, doc)


async def _trickle(send: Any, body: bytes) -> None:
    """Headers at once, then the body a byte a second (at most TRICKLE_MAX_BYTES)."""
    length = (b"content-length", str(len(body)).encode())
    headers = [(b"content-type", b"application/json; charset=utf-8"), length]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    for byte in body[:TRICKLE_MAX_BYTES]:
        await send({"type": "http.response.body", "body": bytes([byte]), "more_body": True})
        await asyncio.sleep(TRICKLE_S)


async def _huge(send: Any, size: int) -> None:
    """A 200 of `size` bytes with no Content-Length (chunked): a client learns its size only
    by reading it. Made of one shared chunk, so the fake never holds the body itself."""
    headers = [(b"content-type", b"application/json; charset=utf-8")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    sent = 0
    while sent < size:
        chunk = _CHUNK if size - sent >= len(_CHUNK) else _CHUNK[: size - sent]
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
        sent += len(chunk)
    await send({"type": "http.response.body", "body": b"{}"})


def _coordinates(query: dict[str, str]) -> str:
    return f"{query.get('latitude', '')},{query.get('longitude', '')}"


async def _forecast(state: State, mode: str, query: dict[str, str], send: Any) -> None:
    try:
        lat, lon = float(query["latitude"]), float(query["longitude"])
    except (KeyError, ValueError):
        reason = "Parameter 'latitude' and 'longitude' must be numbers"
        await _reply(send, 400, {"error": True, "reason": reason})
        return
    variables = query.get("current", "").split(",")
    doc = payloads.forecast(lat, lon, variables, state.weather_code)
    if mode in payloads.SPOILED:
        payloads.SPOILED[mode](doc["current"])
    await _answer(send, mode, doc)


_LENGTH_99 = [(b"content-type", b"application/json"), (b"content-length", b"99")]


async def read_body(receive: Any) -> bytes:
    """The whole request body, however many ASGI messages it came in."""
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
