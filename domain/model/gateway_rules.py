"""Rules between parameters that Open-Meteo enforces, checked before any upstream call."""

from __future__ import annotations

from domain.model.gateway_errors import GatewayBadRequest
from domain.model.gateway_params import REQUIRED

# Open-Meteo refuses these together with start_date/end_date.
_RELATIVE = ("past_days", "forecast_days", "past_hours", "forecast_hours")
_PAIRS = (
    ("start_date", "end_date"),
    ("start_hour", "end_hour"),
    ("start_minutely_15", "end_minutely_15"),
)


def check_rules(api: str, given: dict[str, list[str]]) -> None:
    for name in REQUIRED.get(api, ()):
        if name not in given:
            raise GatewayBadRequest("Both 'start_date' and 'end_date' must be set in the url")
    for start, end in _PAIRS:
        if (start in given) != (end in given):
            raise GatewayBadRequest(f"Both '{start}' and '{end}' must be set in the url")
        if start in given and given[start] > given[end]:  # iso texts order as their dates
            raise GatewayBadRequest("End-date must be larger or equals than start-date")
    if "start_date" in given or "start_hour" in given:
        for name in _RELATIVE:
            if name in given:
                reason = (
                    f"Parameter '{name}' is mutually exclusive with 'start_date' and 'end_date'"
                )
                raise GatewayBadRequest(reason)
