"""ProviderSpec: everything the rest of the service needs to know about one weather source.

Each provider module exports one `SPEC`; adapters/providers/registry.py lists them. Settings,
the composition root, the budget and the metrics read these specs and name no provider."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import httpx

from adapters.providers.http import HttpLimits
from ports.provider import Geocoder, WeatherProvider

SettingKind = Literal["url", "secret", "number", "text"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ProviderSetting:
    """One environment variable a provider reads; validated at start-up like every setting."""

    env: str
    help: str
    kind: SettingKind = "text"
    default: str = ""
    # Needed (non-empty) whenever WEATHER_PROVIDER names the provider.
    required: bool = False
    # For kind "number": the closed range a value must lie in.
    minimum: float = 0.0
    maximum: float = float("inf")


@dataclass(frozen=True, slots=True)
class ProviderContext:
    """What the composition root hands a spec's `build`."""

    http: httpx.AsyncClient
    # Wraps a provider's own geocoder in the service's location store: the composition root
    # owns that store, so the adapter calls only its Geocoder port.
    remember_locations: Callable[[Geocoder], Geocoder]
    limits: HttpLimits
    # This provider's settings, by variable name, validated (numbers as their text).
    options: Mapping[str, str]


@dataclass(frozen=True, slots=True, kw_only=True)
class ProviderSpec:
    name: str
    build: Callable[[ProviderContext], WeatherProvider]
    settings: tuple[ProviderSetting, ...] = ()
    # Upstream URL path -> the metrics' `endpoint` label; each path's calls pay this
    # provider's budget.
    endpoints: Mapping[str, str] = field(default_factory=dict)
    # The published free tier, in HTTP calls per window ("minute", "hour", "day", "month"):
    # the budget's defaults. Empty: no quota (a source that makes no HTTP call).
    free_tier: Mapping[str, int] = field(default_factory=dict)
    # HTTP requests one answer takes, made one after the other (Open-Meteo geocodes, then
    # forecasts): a provider call's deadline allows them in sequence (docs/TIMING.md).
    requests_per_call: int = 1
    # Also serves the Open-Meteo gateway (/v1/forecast, /v1/air-quality, /v1/archive:
    # docs/GATEWAY.md), called whatever WEATHER_PROVIDER says: its budget always applies.
    gateway: bool = False
