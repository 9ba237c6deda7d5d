"""The fake Open-Meteo as a raw ASGI app: geocoding and the forecast, each call counted and
answered as its steered mode says."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import msgspec

from tests.support.fake_open_meteo import faults, payloads
from tests.support.fake_open_meteo.steering import Control, Endpoint, State
from tests.support.fake_open_meteo.upstream import FakeUpstream, Route, reply, reply_bytes

RETRY_AFTER_S = 60


def build_app(*, accept_any: bool = False) -> FakeUpstream[State]:
    routes: dict[tuple[str, str], Route[State]] = {
        ("GET", "/v1/search"): lambda state, query, send: _serve(state, "geocoding", query, send),
        ("GET", "/v1/forecast"): lambda state, query, send: _serve(state, "forecast", query, send),
    }
    return FakeUpstream(lambda: State(accept_any), Control, routes, _error, _error("Not Found"))


def _error(reason: str) -> dict[str, Any]:
    return {"error": True, "reason": reason}


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
        await faults.huge(send, state.body_bytes)
        return
    if mode == "timeout":
        await faults.hang()
    if mode == "refuse":
        await faults.drop(send)
    elif (mode, endpoint) in payloads.BROKEN:
        await reply_bytes(send, 200, payloads.BROKEN[mode, endpoint])
    elif mode in payloads.ERRORS:
        await _refuse(state, mode, send)
    elif endpoint == "geocoding":
        await _geocode(state, mode, query, send)
    else:
        await _forecast(state, mode, query, send)


async def _refuse(state: State, mode: str, send: Any) -> None:
    status, reason = payloads.ERRORS[mode]
    retry_after = state.retry_after if state.retry_after is not None else str(RETRY_AFTER_S)
    extra = [(b"retry-after", retry_after.encode("latin-1"))] if status == 429 else []
    await reply(send, status, {"error": True, "reason": reason}, extra)


async def _geocode(state: State, mode: str, query: dict[str, str], send: Any) -> None:
    if mode in payloads.ODD_SEARCHES:
        await reply(send, 200, payloads.ODD_SEARCHES[mode])
        return
    found = payloads.search(query.get("name", ""), accept_any=state.accept_any)
    if mode == "long_name" and "results" in found:
        found["results"] = [found["results"][0] | {"name": "N" * 500}]  # not the shared one
    await _answer(send, mode, found)


async def _forecast(state: State, mode: str, query: dict[str, str], send: Any) -> None:
    try:
        lat, lon = float(query["latitude"]), float(query["longitude"])
    except (KeyError, ValueError):
        reason = "Parameter 'latitude' and 'longitude' must be numbers"
        await reply(send, 400, {"error": True, "reason": reason})
        return
    variables = query.get("current", "").split(",")
    doc = payloads.forecast(lat, lon, variables, state.weather_code)
    if mode in payloads.SPOILED:
        payloads.SPOILED[mode](doc["current"])
    await _answer(send, mode, doc)


async def _answer(send: Any, mode: str, doc: Any) -> None:
    if mode == "trickle":
        await faults.trickle(send, msgspec.json.encode(doc))
    else:
        await reply(send, 200, doc)


def _coordinates(query: dict[str, str]) -> str:
    return f"{query.get('latitude', '')},{query.get('longitude', '')}"
