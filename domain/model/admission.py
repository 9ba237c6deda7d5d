"""Admission: which upstream calls a nearly spent budget still lets through, by priority."""

from __future__ import annotations

import contextlib
import enum
import math
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

# A daily limit lasts until 00:00 UTC, but a worker stays away only this long: then the
# shared budget, closed until midnight, lets one probe call through cluster-wide, so a
# quota that comes back early (or a 429 sent in error) does not cost the rest of the day.
PROBE_EVERY_S = 600.0


class Priority(enum.Enum):
    """Why an upstream call is made, most deserving first."""

    REFRESH = "refresh"  # an entry that is being read: stale, or refreshed early
    KNOWN = "known"  # a miss for a place the geocoder has already found
    UNKNOWN = "unknown"  # a name never seen: perhaps a typo, perhaps an attack


@dataclass(frozen=True, slots=True)
class BudgetLimit:
    """At most `calls` upstream HTTP calls in any `period_s` seconds."""

    calls: int
    period_s: float
    label: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Admission:
    """Rules:
    - the last `unknown_reserve` of every window is kept from names never seen, and the
      last `known_reserve` from misses for known places: refreshes may spend it all;
    - so while the budget is low, hot cities stay fresh, then known cities keep being
      found, and a flood of invented names is the first thing turned away.
    """

    unknown_reserve: float = 0.20
    known_reserve: float = 0.05

    def ceiling(self, priority: Priority, limit: BudgetLimit) -> int:
        """How many calls of the window a call of `priority` may bring the total up to."""
        reserve = {
            Priority.REFRESH: 0.0,
            Priority.KNOWN: self.known_reserve,
            Priority.UNKNOWN: self.unknown_reserve,
        }[priority]
        return math.floor(limit.calls * (1.0 - reserve) + 1e-9)


# Set by the use case around a fetch, read where each HTTP call is counted: the calls sit
# several adapters below the use case, and only it knows why they are made.
_PRIORITY: ContextVar[Priority] = ContextVar("upstream_priority", default=Priority.UNKNOWN)


@contextlib.contextmanager
def admitted_as(priority: Priority) -> Iterator[None]:
    """Upstream calls made inside (and in tasks started inside) count as `priority`."""
    token = _PRIORITY.set(priority)
    try:
        yield
    finally:
        _PRIORITY.reset(token)


def current_priority() -> Priority:
    return _PRIORITY.get()


_RANK = {Priority.REFRESH: 0, Priority.KNOWN: 1, Priority.UNKNOWN: 2}


def found(priority: Priority = Priority.KNOWN) -> None:
    """The rest of this fetch's calls are for a place now known to exist: a name whose
    geocoding just succeeded must not lose its forecast to the reserve for new names.
    Only ever raises the priority, and only in the current task (the fetch's own)."""
    if _RANK[priority] < _RANK[_PRIORITY.get()]:
        _PRIORITY.set(priority)


@dataclass(slots=True)
class Sent:
    """How many upstream calls a fetch has sent so far."""

    calls: int = 0


# Like the priority: set by the use case, counted where each HTTP call goes out, so the
# client who pays for a fetch is refunded when none of its calls reached the upstream.
_SENT: ContextVar[Sent | None] = ContextVar("upstream_sent", default=None)


@contextlib.contextmanager
def counting_sent() -> Iterator[Sent]:
    """Upstream calls sent inside (and in tasks started inside) are counted in the Sent."""
    sent = Sent()
    token = _SENT.set(sent)
    try:
        yield sent
    finally:
        _SENT.reset(token)


def note_sent() -> None:
    """One upstream call went out (or its provider answered without HTTP)."""
    sent = _SENT.get()
    if sent is not None:
        sent.calls += 1
