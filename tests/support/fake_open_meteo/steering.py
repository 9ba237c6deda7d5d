"""How the fake Open-Meteo is steered: the modes it answers in, the POST /_control body,
and the state every request reads (and the call log it writes)."""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any, Literal

import msgspec

from tests.support.fake_open_meteo import payloads
from tests.support.fake_open_meteo.faults import HUGE_BODY_BYTES

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
