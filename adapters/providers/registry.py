"""The weather sources WEATHER_PROVIDER may name: the one list of provider modules.

A new provider is one module exporting a `SPEC` (adapters/providers/spec.py) and one line
here; nothing else in the service names a provider."""

from __future__ import annotations

from collections.abc import Mapping

from adapters.providers import open_meteo, openweathermap, simulated
from adapters.providers.spec import ProviderSetting, ProviderSpec

SPECS: tuple[ProviderSpec, ...] = (open_meteo.SPEC, openweathermap.SPEC, simulated.SPEC)


def by_name() -> Mapping[str, ProviderSpec]:
    return {spec.name: spec for spec in SPECS}


def provider_settings() -> tuple[ProviderSetting, ...]:
    """Every provider's variables, in the registry's order (some are shared by name)."""
    seen: dict[str, ProviderSetting] = {}
    for spec in SPECS:
        for setting in spec.settings:
            seen.setdefault(setting.env, setting)
    return tuple(seen.values())


def gateway_providers() -> tuple[str, ...]:
    """The providers the Open-Meteo gateway calls, whatever WEATHER_PROVIDER says."""
    return tuple(spec.name for spec in SPECS if spec.gateway)


def endpoint_labels() -> dict[str, str]:
    """Upstream URL path -> the metrics' endpoint label, over every provider."""
    return {path: label for spec in SPECS for path, label in spec.endpoints.items()}


def budget_owners() -> dict[str, str]:
    """Upstream URL path -> the provider whose budget its calls spend."""
    return {path: spec.name for spec in SPECS for path in spec.endpoints}
