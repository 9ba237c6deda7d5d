"""The fake OpenWeatherMap as a raw ASGI app, with its behaviour steered over HTTP."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Literal

import msgspec

from tests.support.control import apply_control
from tests.support.fake_open_meteo import faults
from tests.support.fake_open_meteo.upstream import FakeUpstream, Route, reply, reply_bytes
from tests.support.fake_openweathermap import payloads

Mode = Literal[
    "ok", "error401", "error429", "error500", "error503", "timeout", "bad_json",
    "missing_fields", "wrong_shape", "refuse", "null_humidity", "no_weather",
]  # fmt: skip


class Control(msgspec.Struct, forbid_unknown_fields=True):
    """POST /_control body; absent fields are left as they are."""

    mode: Mode | msgspec.UnsetType = msgspec.UNSET
    latency_s: float | msgspec.UnsetType = msgspec.UNSET
    accept_any: bool | msgspec.UnsetType = msgspec.UNSET


@dataclass
class State:
    accept_any: bool
    mode: str = "ok"
    latency_s: float = 0.0
    calls: int = 0

    def apply(self, control: Control) -> None:
        apply_control(self, control)

    def view(self) -> dict[str, Any]:
        keys = ("mode", "latency_s", "accept_any")
        return {k: getattr(self, k) for k in keys} | {"calls": {"weather": self.calls}}


def build_app(*, api_key: str, accept_any: bool = False) -> FakeUpstream[State]:
    routes: dict[tuple[str, str], Route[State]] = {
        ("GET", "/data/2.5/weather"): lambda state, query, send: _weather(
            state, api_key, query, send
        ),
    }
    not_found = {"cod": 404, "message": "Internal error"}  # what OpenWeatherMap answers
    return FakeUpstream(lambda: State(accept_any), Control, routes, _error, not_found)


def _error(reason: str) -> dict[str, Any]:
    return {"cod": "400", "message": reason}


async def _weather(state: State, api_key: str, query: dict[str, str], send: Any) -> None:
    state.calls += 1
    if state.latency_s:
        await asyncio.sleep(state.latency_s)
    if state.mode == "timeout":
        await faults.hang()
    if state.mode == "refuse":
        await faults.drop(send)
        return
    if state.mode == "error401" or query.get("appid") != api_key:
        await reply(send, 401, payloads.INVALID_KEY)
    elif state.mode in payloads.ERRORS:
        status, content_type, body = payloads.ERRORS[state.mode]
        await _raw(send, status, content_type, body)
    elif "lat" in query or "lon" in query:
        await _by_coordinates(state, query, send)
    elif not query.get("q", "").strip():
        await reply(send, 400, payloads.NOTHING_TO_GEOCODE)
    elif (place := payloads.find(query["q"], accept_any=state.accept_any)) is None:
        await reply(send, 404, payloads.CITY_NOT_FOUND)
    elif state.mode in payloads.BROKEN:
        await reply_bytes(send, 200, payloads.BROKEN[state.mode])
    else:
        doc = payloads.current(place)
        if state.mode == "null_humidity":
            doc["main"]["humidity"] = None
        elif state.mode == "no_weather":
            doc["weather"] = []
        await reply(send, 200, doc)


async def _by_coordinates(state: State, query: dict[str, str], send: Any) -> None:
    """Any point on Earth has weather; the real API answers 400 for a bad coordinate."""
    place = payloads.at(query.get("lat", ""), query.get("lon", ""))
    if isinstance(place, dict):
        await reply(send, 400, place)
    elif state.mode in payloads.BROKEN:
        await reply_bytes(send, 200, payloads.BROKEN[state.mode])
    else:
        await reply(send, 200, payloads.current(place))


async def _raw(send: Any, status: int, content_type: bytes, body: bytes) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
