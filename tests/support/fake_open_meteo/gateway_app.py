"""The fake upstream for the gateway: Open-Meteo's /v1/forecast, /v1/air-quality and
/v1/archive (GET and form POST, JSON and FlatBuffers, several locations a call), model
metadata at /data/<model>/static/meta.json, a call log, and knobs, under /_gateway/. A URL
longer than a web server's request line takes is refused with 414, before the call log."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal
from urllib.parse import parse_qsl

import msgspec

from tests.support.control import apply_control
from tests.support.fake_open_meteo import faults, gateway_flatbuffers, gateway_json
from tests.support.fake_open_meteo.gateway_query import FakeQuery, Refused, read_query
from tests.support.fake_open_meteo.gateway_series import epoch, sections

PATHS = ("/v1/forecast", "/v1/air-quality", "/v1/archive")
GatewayMode = Literal["ok", "error500", "error429", "timeout", "truncated"]
RUN_INTERVAL_S = 3600  # update_interval_seconds in meta.json
MAX_URL_BYTES = 8192 - len("GET  HTTP/1.1")  # the URL's share of an 8 KB request line
_FAILURES = {
    "error500": (500, "Internal server error"),
    "error429": (429, "Minutely API request limit exceeded. Please try again in one minute."),
}


class GatewayControl(msgspec.Struct, forbid_unknown_fields=True):
    """POST /_gateway/control; absent fields are left as they are."""

    mode: GatewayMode | msgspec.UnsetType = msgspec.UNSET
    latency_s: float | msgspec.UnsetType = msgspec.UNSET
    new_run: bool = False  # a new model run: new values, and meta.json says so
    today: str | msgspec.UnsetType = msgspec.UNSET  # yyyy-mm-dd: the fake's "today"
    run_available_at: int | msgspec.UnsetType = msgspec.UNSET  # unix s: when the run came
    # meta.json served as given for every model (a lying or broken document); None: honest
    meta: dict[str, Any] | msgspec.UnsetType | None = msgspec.UNSET


@dataclass
class GatewayState:
    today: date = field(default_factory=lambda: datetime.now(UTC).date())
    mode: str = "ok"
    latency_s: float = 0.0
    run: int = 1
    run_available_at: int = field(default_factory=lambda: int(time.time()))
    calls: list[dict[str, Any]] = field(default_factory=list)
    meta: dict[str, Any] | None = None

    def apply(self, control: GatewayControl) -> None:
        if control.new_run:  # first: a run_available_at given beside it wins
            self.run += 1
            self.run_available_at = int(time.time())
        convert = {"today": date.fromisoformat}
        apply_control(self, control, convert=convert, besides=("new_run",))

    def view(self) -> dict[str, Any]:
        keys = ("mode", "latency_s", "run", "run_available_at")
        return {k: getattr(self, k) for k in keys} | {"today": self.today.isoformat()}


def too_long(path: str, query_string: bytes) -> bool:
    """What nginx's default 8 KB request line refuses with a 414 before any app sees it."""
    return len(path) + 1 + len(query_string) > MAX_URL_BYTES


def weight(query: FakeQuery) -> float:
    """Open-Meteo's: per location max(1, v/10 x max(1, days/14)), v = variables x models."""
    v = query.variable_count() * len(query.models) / 10
    days = ((query.days[1] - query.days[0]).days + 1) / 14
    return len(query.locations) * max(1.0, v, v * days)


def answer(state: GatewayState, query: FakeQuery) -> bytes:
    answers = [
        (where, {m: sections(query, where, m, state.run, state.today) for m in query.models})
        for where in query.locations
    ]
    writer = gateway_flatbuffers if query.flatbuffers else gateway_json
    return writer.body(query, answers)


def meta(state: GatewayState, model: str) -> dict[str, Any] | None:
    """Open-Meteo's per-model metadata (the fields the freshness logic reads); `model` is
    its data directory (dwd_icon, ncep_gfs013, ...); one named "unknown..." is not found."""
    if model.startswith("unknown"):
        return None
    if state.meta is not None:
        return state.meta
    return {
        "last_run_availability_time": state.run_available_at,
        "last_run_initialisation_time": state.run_available_at - 3 * 3600,
        "last_run_modification_time": state.run_available_at,
        "temporal_resolution_seconds": 3600,
        "update_interval_seconds": RUN_INTERVAL_S,
        "data_end_time": epoch(state.today) + 16 * 86400,
    }


async def serve(
    state: GatewayState, method: str, path: str, pairs: list[tuple[str, str]]
) -> tuple[int, bytes, str]:
    """(status, body, content type) for one upstream call; every call is logged."""
    entry: dict[str, Any] = {"path": path, "method": method, "points": [], "weight": 0.0}
    state.calls.append(entry)
    try:
        query = read_query(path, pairs, state.today)
    except Refused as e:
        entry["status"] = 400
        return 400, msgspec.json.encode({"error": True, "reason": str(e)}), _JSON
    entry |= {"points": [[p.latitude, p.longitude] for p in query.locations]}
    entry |= {"weight": weight(query), "format": "flatbuffers" if query.flatbuffers else "json"}
    entry |= {"apikey": query.apikey, "query": pairs}
    if state.latency_s:
        await asyncio.sleep(state.latency_s)
    if state.mode == "timeout":
        await faults.hang()
    if state.mode in _FAILURES:
        status, reason = _FAILURES[state.mode]
        entry["status"] = status
        return status, msgspec.json.encode({"error": True, "reason": reason}), _JSON
    entry["status"] = 200
    body = answer(state, query)
    if state.mode == "truncated":
        body = body[: len(body) // 2]
    return 200, body, _FB if query.flatbuffers else _JSON


_JSON = "application/json; charset=utf-8"
_FB = "application/octet-stream"


def pairs_of(query_string: bytes, body: bytes, content_type: str) -> list[tuple[str, str]]:
    """GET's query, and a form POST's body after it (the SDK sends its parameters there)."""
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    if body and content_type.startswith("application/x-www-form-urlencoded"):
        pairs += parse_qsl(body.decode("latin-1"), keep_blank_values=True)
    return pairs
