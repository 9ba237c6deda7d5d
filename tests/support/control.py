"""The fakes' control bodies: what a POST gives is applied, what it leaves out stays."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

import msgspec


def apply_control(
    state: object,
    control: msgspec.Struct,
    *,
    convert: dict[str, Callable[[Any], Any]] | None = None,
    besides: Collection[str] = (),
) -> None:
    """Each field `control` sets is copied onto `state` (through `convert[name]` if any),
    but those in `besides`, which the caller acts on itself. A latency below 0 is 0."""
    convert = {"latency_s": lambda s: max(s, 0.0)} | (convert or {})
    for name in control.__struct_fields__:
        value = getattr(control, name)
        if value is msgspec.UNSET or name in besides:
            continue
        setattr(state, name, convert[name](value) if name in convert else value)
