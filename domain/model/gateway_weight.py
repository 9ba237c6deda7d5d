"""Open-Meteo's weight of a call, as its server counts it against a key's quota."""

from __future__ import annotations

from datetime import date, datetime

# The reference sizes of one call (open-meteo ForecastApiResult.calculateQueryWeight).
REFERENCE_VARIABLES = 10
REFERENCE_DAYS = 14
_VARIABLE_LISTS = ("hourly", "daily", "current", "minutely_15")
_DEFAULT_DAYS = {"forecast": 7, "air-quality": 5, "archive": 1}


def weight_of(api: str, params: dict[str, str], n_points: int) -> float:
    """Per location max(1, v/10 * max(1, days/14)), v = variables * models; summed.

    This is the upstream's own code; for v < 10 and days > 14 it is below the rounder
    max(v/10, 1) * max(days/14, 1) often quoted for it."""
    variables = sum(_count(params.get(name)) for name in _VARIABLE_LISTS)
    v = variables * max(_count(params.get("models")), 1) / REFERENCE_VARIABLES
    days = covered_days(api, params) / REFERENCE_DAYS
    return n_points * max(1.0, v, days * v)


def covered_days(api: str, params: dict[str, str]) -> int:
    """Whole days the answer's time axis spans (Open-Meteo divides seconds by 86,400)."""
    if "start_date" in params:
        span = date.fromisoformat(params["end_date"]) - date.fromisoformat(params["start_date"])
        return span.days + 1
    if "start_hour" in params:
        start, end = (datetime.fromisoformat(params[k]) for k in ("start_hour", "end_hour"))
        return int((end - start).total_seconds() // 3600 + 1) // 24
    default = int(params.get("forecast_days", _DEFAULT_DAYS[api]))
    if "forecast_hours" in params or "past_hours" in params:
        hours = int(params.get("forecast_hours", default * 24)) + int(params.get("past_hours", 0))
        return hours // 24
    return default + int(params.get("past_days", 0))


def _count(names: str | None) -> int:
    return len(names.split(",")) if names else 0
