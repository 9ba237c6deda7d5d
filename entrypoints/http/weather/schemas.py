"""Wire schemas of /weather and /weather/batch, with explicit mappers from domain values.

Each field carries a hand-written example from a real answer (San Jose, as the README
shows it): the OpenAPI docs show these, never generated values."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from domain.model.outcome import WeatherResult
from entrypoints.http.schemas import ErrorResponse
from entrypoints.http.weather import units as units_of
from entrypoints.http.weather.units import METRIC, Units


class WeatherResponse(msgspec.Struct, kw_only=True):
    city: (
        Annotated[
            str,
            Meta(
                description="As the provider spells it; null for a point asked by lat/lon",
                examples=["San Jose"],
            ),
        ]
        | None
    )
    temperature: Annotated[
        float, Meta(description="At 2 m: °C in metric units, °F in imperial", examples=[22.5])
    ]
    humidity: Annotated[float, Meta(description="Relative humidity, %", examples=[65])] | None
    description: (
        Annotated[
            str, Meta(description="The WMO weather code in words", examples=["Partly cloudy"])
        ]
        | None
    )
    country: Annotated[str, Meta(examples=["United States"])] | None
    latitude: (
        Annotated[
            float,
            Meta(description="The city's, or the snapped point answered for", examples=[37.33939]),
        ]
        | None
    )
    longitude: (
        Annotated[
            float,
            Meta(
                description="The city's, or the snapped point answered for", examples=[-121.89496]
            ),
        ]
        | None
    )
    observed_at: (
        Annotated[
            str, Meta(description="Local time of the observation", examples=["2026-11-26T01:45"])
        ]
        | None
    )
    provider: Annotated[str, Meta(description="Who answered", examples=["open-meteo"])]
    stale: Annotated[
        bool, Meta(description="Served past its TTL (X-Cache: STALE)", examples=[False])
    ]
    age_seconds: Annotated[int, Meta(description="Seconds since it was fetched", examples=[0])]
    units: Annotated[
        Units, Meta(description="The units of the numbers: metric (°C) or imperial (°F)")
    ] = METRIC

    @classmethod
    def from_domain(cls, result: WeatherResult, units: Units = METRIC) -> WeatherResponse:
        w = result.weather
        return cls(
            city=w.city,
            temperature=units_of.temperature(w.temperature, units),
            humidity=w.humidity,
            description=w.description,
            country=w.country,
            latitude=w.latitude,
            longitude=w.longitude,
            observed_at=w.observed_at,
            provider=w.provider,
            stale=result.stale,
            age_seconds=int(result.age_s),
            units=units,
        )


MAX_BATCH = 50
_CITY = Annotated[str, Meta(max_length=400, examples=["San Jose"])]


class BatchRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    cities: Annotated[
        list[_CITY],
        Meta(
            min_length=1,
            max_length=MAX_BATCH,
            description=f"1-{MAX_BATCH} city names; repeats are fetched once",
            examples=[["San Jose", "Boise", "Atlantis"]],
        ),
    ]
    units: Annotated[Units, Meta(description="metric (°C) or imperial (°F)")] = METRIC


class BatchItem(msgspec.Struct, kw_only=True):
    city: Annotated[str, Meta(description="The name as it was asked", examples=["San Jose"])]
    status: Annotated[int, Meta(description="What GET /weather would have answered")]
    cache: Annotated[
        str | None, Meta(description="X-Cache of the answer, if the cache was involved")
    ] = None
    weather: WeatherResponse | None = None
    error: ErrorResponse | None = None


class BatchResponse(msgspec.Struct, kw_only=True):
    results: Annotated[list[BatchItem], Meta(description="One per name asked, in order")]
