"""Units are a rendering: one cached entry (°C) is converted here, at the edge, per answer."""

from __future__ import annotations

from typing import Literal, get_args

Units = Literal["metric", "imperial"]
METRIC: Units = "metric"
UNITS: tuple[Units, ...] = get_args(Units)


def temperature(celsius: float, units: Units) -> float:
    """°C, or °F to one decimal (the precision the providers give °C in)."""
    return celsius if units == METRIC else round(celsius * 9 / 5 + 32, 1)
