"""One rule for every value read back from Redis: bytes that do not decode are a miss."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import msgspec

from domain.model.counters import CounterName
from ports.metrics import Metrics

T = TypeVar("T")


def decoded_or_miss(
    raw: bytes | None, decode: Callable[[bytes], T], metrics: Metrics | None
) -> T | None:
    """Another version's envelope, truncated bytes or garbage: a miss, counted, never an
    error (the caller fetches again and overwrites it)."""
    if raw is None:
        return None
    try:
        return decode(raw)
    except msgspec.DecodeError:
        if metrics is not None:
            metrics.incr(CounterName.CORRUPT_ENTRIES)
        return None
