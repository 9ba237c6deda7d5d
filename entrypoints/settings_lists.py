"""The settings that are lists or rates: addresses, origins, providers (and each one's
own variables), requests per unit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from typing import Any
from urllib.parse import urlparse

from adapters.providers import registry
from adapters.providers.spec import ProviderSetting
from domain.model.rate import parse_rate, rate_text
from entrypoints.settings_kinds import SettingsError, number, url


def addresses(name: str) -> Any:
    """A comma list of host:port ([v6]:port too): the cluster's nodes, or the Sentinels to
    ask for the primary; empty is none."""

    def read(env: Mapping[str, str]) -> tuple[tuple[str, int], ...]:
        raw = env.get(name, "").strip()
        if not raw:
            return ()
        found = []
        for item in (part.strip() for part in raw.split(",")):
            host, _, port = item.rpartition(":")
            host = host.removeprefix("[").removesuffix("]")  # [::1]:26379
            if not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise SettingsError(f"{name}={raw!r}: {item!r} is not host:port")
            found.append((host, int(port)))
        return tuple(found)

    return field(default=(), metadata={"env": name, "read": read})


def origins(name: str) -> Any:
    """A comma list of origins (scheme://host[:port]) browsers may read from, or "*"."""

    def read(env: Mapping[str, str]) -> tuple[str, ...]:
        raw = env.get(name, "").strip()
        origins = tuple(part.strip().rstrip("/") for part in raw.split(",") if part.strip())
        if "*" in origins and len(origins) > 1:
            raise SettingsError(f'{name}={raw!r}: "*" allows every origin; list none beside it')
        for origin in origins:
            parsed = urlparse(origin)
            plain = parsed.scheme in ("http", "https") and parsed.hostname and not parsed.path
            if origin != "*" and not (plain and not parsed.query and "@" not in origin):
                raise SettingsError(
                    f"{name}={raw!r}: {origin!r} is not an origin like https://example.com"
                )
        return origins

    return field(default=(), metadata={"env": name, "read": read})


def rate(name: str) -> Any:
    """Requests per unit, written "100/minute" (domain.model.rate); empty means no limit."""

    def read(env: Mapping[str, str]) -> str:
        raw = env.get(name, "").strip().lower()
        if not raw:
            return ""
        try:
            return rate_text(parse_rate(raw))
        except ValueError as error:
            raise SettingsError(f"{name}={raw!r} {error}") from None

    return field(default="", metadata={"env": name, "read": read})


def miss_rate(name: str) -> Any:
    """Like rate(), but "0" turns it off and unset leaves the default to the provider."""
    limited = rate(name).metadata["read"]

    def read(env: Mapping[str, str]) -> str | None:
        raw = env.get(name, "").strip()
        if not raw:
            return None
        return "0" if raw == "0" else str(limited(env))

    return field(default=None, metadata={"env": name, "read": read})


def provider_list(name: str, default: str) -> Any:
    """One provider, or an ordered comma list of them to fail over through."""

    def read(env: Mapping[str, str]) -> str:
        known = tuple(registry.by_name())
        raw = env.get(name, "").strip().lower() or default
        names = [part.strip() for part in raw.split(",")]
        for item in names:
            if item not in known:
                raise SettingsError(
                    f"{name}={raw!r}: {item!r} is not a provider; "
                    f"use one or a comma list of {', '.join(known)}"
                )
        if len(set(names)) < len(names):
            raise SettingsError(f"{name}={raw!r} names a provider twice")
        return ",".join(names)

    return field(default=default, metadata={"env": name, "read": read})


def _provider_option(setting: ProviderSetting, env: Mapping[str, str]) -> str:
    """One provider variable, checked like the settings of its kind; numbers kept as text."""
    name = setting.env
    if setting.kind == "url":
        return str(url(name, setting.default, ("http", "https")).metadata["read"](env))
    if setting.kind == "secret":
        return env.get(name, "").strip()
    if setting.kind == "text":
        return env.get(name, "").strip() or setting.default
    value = number(name, float(setting.default), minimum=setting.minimum).metadata["read"](env)
    if value > setting.maximum:
        raise SettingsError(f"{name} must be between {setting.minimum:g} and {setting.maximum:g}")
    return f"{value:g}"


def per_provider() -> Any:
    """Every provider's own variables (adapters/providers/*.py SPEC.settings), by name."""

    def read(env: Mapping[str, str]) -> Mapping[str, str]:
        return {s.env: _provider_option(s, env) for s in registry.provider_settings()}

    return field(default_factory=lambda: read({}), repr=False, metadata={"read": read})
