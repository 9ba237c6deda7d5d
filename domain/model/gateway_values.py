"""Reading one parameter's values as the gateway table says, into their canonical text."""

from __future__ import annotations

import math
import re
from datetime import date, datetime

from domain.model.gateway_errors import GatewayBadRequest
from domain.model.gateway_params import (
    MAX_LIST_CHARS,
    MAX_MODELS,
    MAX_NAME_CHARS,
    MAX_NUMBER_CHARS,
    MAX_VARIABLES,
    Kind,
    Param,
)

_NAME = re.compile(rf"[A-Za-z0-9_]{{1,{MAX_NAME_CHARS}}}")
_TIMEZONE = re.compile(rf"[A-Za-z0-9_+\-/]{{1,{MAX_NAME_CHARS}}}")
_INTEGER = re.compile(r"[+-]?[0-9]{1,9}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_HOUR = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}")
_DAYS_WORDING = {"past_days": "Past days", "forecast_days": "Forecast days"}


def items(key: str, values: list[str], limit: int = MAX_LIST_CHARS) -> list[str]:
    """A list parameter's items, from comma lists and repeated keys alike; empty items are
    skipped, as Open-Meteo's own comma splitting skips them. At most `limit` characters."""
    if sum(map(len, values)) + len(values) > limit + 1:
        raise GatewayBadRequest(f"Parameter '{key}' is longer than {limit} characters")
    return [item for value in values for item in value.split(",") if item]


def names(key: str, param: Param, values: list[str]) -> str | None:
    """A variable or model list, in the client's order; None when empty or the default."""
    found = items(key, values)
    limit = MAX_VARIABLES if param.kind is Kind.VARIABLES else MAX_MODELS
    if len(found) > limit:
        raise GatewayBadRequest(f"Parameter '{key}' must not list more than {limit} names")
    for name in found:
        if not _NAME.fullmatch(name):
            raise GatewayBadRequest(f"Parameter '{key}' has an invalid name: '{name[:64]}'")
    joined = ",".join(found)
    return None if not joined or joined == param.default else joined


def scalar(key: str, param: Param, value: str) -> str | None:
    """One value in canonical text; None when it is the parameter's default."""
    text = _SCALARS[param.kind](key, param, value)
    return None if text == param.default else text


def _choice(key: str, param: Param, value: str) -> str:
    if value not in param.choices:
        allowed = ", ".join(param.choices)
        raise GatewayBadRequest(f"Parameter '{key}' must be one of {allowed}")
    return value


def _integer(key: str, param: Param, value: str) -> str:
    number = int(value) if _INTEGER.fullmatch(value) else None
    if number is None or not param.low <= number <= param.high:
        low, high = int(param.low), int(param.high)
        if key in _DAYS_WORDING:  # Open-Meteo's own wording
            given = value[:MAX_NUMBER_CHARS]
            reason = (
                f"{_DAYS_WORDING[key]} is invalid. Allowed range {low} to {high}. Given {given}."
            )
            raise GatewayBadRequest(reason)
        raise GatewayBadRequest(f"Parameter '{key}' must be an integer from {low} to {high}")
    return str(number)


def number(key: str, param: Param, value: str, *, nan: bool = False) -> str:
    """A finite number within bounds (or nan where `nan`), as Python's shortest repr."""
    parsed = to_float(value)
    if parsed is not None and math.isnan(parsed) and nan:
        return "nan"
    if parsed is None or not param.low <= parsed <= param.high:
        low, high = f"{param.low:g}", f"{param.high:g}"
        raise GatewayBadRequest(f"Parameter '{key}' must be a number from {low} to {high}")
    return repr(parsed + 0.0)  # + 0.0: -0.0 and 0 are one value


def to_float(value: str) -> float | None:
    if len(value) > MAX_NUMBER_CHARS:
        return None
    try:
        return float(value)
    except ValueError:
        return None


def _date(key: str, _: Param, value: str) -> str:
    try:
        if _DATE.fullmatch(value):
            return date.fromisoformat(value).isoformat()
    except ValueError:
        pass
    raise GatewayBadRequest(f"Parameter '{key}' must be a date as yyyy-mm-dd")


def _hour(key: str, _: Param, value: str) -> str:
    try:
        if _HOUR.fullmatch(value):
            return datetime.fromisoformat(value).strftime("%Y-%m-%dT%H:%M")
    except ValueError:
        pass
    raise GatewayBadRequest(f"Parameter '{key}' must be a time as yyyy-mm-ddThh:mm")


def timezone(value: str) -> str:
    if not _TIMEZONE.fullmatch(value):
        raise GatewayBadRequest("Invalid timezone")
    return value


_SCALARS = {
    Kind.CHOICE: _choice,
    Kind.INTEGER: _integer,
    Kind.NUMBER: number,
    Kind.DATE: _date,
    Kind.HOUR: _hour,
}
