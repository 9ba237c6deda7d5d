"""How each kind of setting is read and checked: a function a kind, each returning the
Settings field for one variable, whose `read` raises SettingsError naming it."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import field
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlparse

from adapters.observability.redaction import redact


class SettingsError(ValueError):
    """One bad variable; the message names it and says why, fit for a one-line exit."""


def number(name: str, default: float | None, *, minimum: float = 0.0, integer: bool = False) -> Any:
    """A number of at least `minimum`; `default` when unset (None: derived elsewhere)."""

    def read(env: Mapping[str, str]) -> float | int | None:
        raw = env.get(name, "").strip()
        if not raw:
            return default
        try:
            value: float | int = int(raw) if integer else float(raw)
        except ValueError:
            kind = "a whole number" if integer else "a number"
            raise SettingsError(f"{name}={raw!r} is not {kind}") from None
        if not value >= minimum:  # also rejects nan
            raise SettingsError(f"{name}={raw!r} must be at least {minimum:g}")
        if not math.isfinite(value):  # inf, 1e999: a TTL or timeout that never ends
            raise SettingsError(f"{name}={raw!r} must be a finite number")
        return value

    return field(default=default, metadata={"env": name, "read": read})


def choice(name: str, default: str, choices: tuple[str, ...]) -> Any:
    def read(env: Mapping[str, str]) -> str:
        value = env.get(name, "").strip().lower() or default
        if value not in choices:
            raise SettingsError(f"{name}={value!r} must be one of {', '.join(choices)}")
        return value

    return field(default=default, metadata={"env": name, "read": read})


_FLAGS = {"1": True, "true": True, "yes": True, "on": True}
_FLAGS.update({"0": False, "false": False, "no": False, "off": False})
_FLAG_WORDS = ", ".join(_FLAGS)


def flag(name: str, default: bool) -> Any:
    def read(env: Mapping[str, str]) -> bool:
        raw = env.get(name, "").strip().lower()
        if not raw:
            return default
        if raw not in _FLAGS:
            raise SettingsError(f"{name}={raw!r} must be one of {_FLAG_WORDS}")
        return _FLAGS[raw]

    return field(default=default, metadata={"env": name, "read": read})


def url(name: str, default: str, schemes: tuple[str, ...]) -> Any:
    def read(env: Mapping[str, str]) -> str:
        value = env.get(name, "").strip() or default
        parsed = urlparse(value)
        shown = redact(value)
        if parsed.scheme not in schemes or not parsed.hostname:
            raise SettingsError(f"{name}={shown!r} must be a {'/'.join(schemes)} URL with a host")
        try:
            port = parsed.port  # ValueError: not a number, or past 65535
        except ValueError:
            port = 0
        if port == 0:
            raise SettingsError(f"{name}={shown!r}: the port must be a number from 1 to 65535")
        return value.rstrip("/")

    return field(default=default, metadata={"env": name, "read": read})


def text(name: str, default: str) -> Any:
    def read(env: Mapping[str, str]) -> str:
        return env.get(name, "").strip() or default

    return field(default=default, metadata={"env": name, "read": read})


def secret(name: str) -> Any:
    """Like text(), but kept out of repr(), so that logging the settings never leaks it."""

    def read(env: Mapping[str, str]) -> str:
        return env.get(name, "").strip()

    return field(default="", repr=False, metadata={"env": name, "read": read, "secret": True})


def grid(name: str, default: str) -> Any:
    """Degrees, a plain decimal in (0, 10]: the cell size lat/lon are snapped to."""

    def read(env: Mapping[str, str]) -> float:
        raw = env.get(name, "").strip() or default
        try:
            value = Decimal(raw)
        except InvalidOperation:
            raise SettingsError(f"{name}={raw!r} is not a number") from None
        if not (value.is_finite() and 0 < value <= 10):
            raise SettingsError(f"{name}={raw!r} must be more than 0 and at most 10 (degrees)")
        return float(value)

    return field(default=float(default), metadata={"env": name, "read": read})


def optional_count(name: str) -> Any:
    """A whole number ≥ 0, or None when unset (the default then depends on other settings)."""

    def read(env: Mapping[str, str]) -> int | None:
        raw = env.get(name, "").strip()
        if not raw:
            return None
        if not raw.isdigit():
            raise SettingsError(f"{name}={raw!r} must be a whole number, 0 or more")
        return int(raw)

    return field(default=None, metadata={"env": name, "read": read})
