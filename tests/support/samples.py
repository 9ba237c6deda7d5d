"""Domain values that several test packages store and read back."""

from __future__ import annotations

from domain.model.weather import Weather

SAN_JOSE = Weather(
    city="San Jose",
    temperature=18.3,
    humidity=64.0,
    description="Partly cloudy",
    country="United States",
    latitude=37.33939,
    longitude=-121.89496,
    observed_at="2024-06-01T12:15",
    provider="open-meteo",
)
