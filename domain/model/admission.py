"""Admission: which upstream calls a nearly spent budget still lets through, by priority."""

from __future__ import annotations

import enum
import math
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


_RANK = {Priority.REFRESH: 0, Priority.KNOWN: 1, Priority.UNKNOWN: 2}


@dataclass(slots=True, eq=False)
class UpstreamCall:
    """One fetch's upstream calls: why they are made and how many went out.

    Made by the use case that knows why (only it does), passed as a parameter down the
    provider, geocoder and gateway ports to each HTTP request, where the budget reads the
    priority and counts the call; the fetch's payer reads the count to refund a client
    whose fetch sent nothing. Tasks a fetch starts (retries, its guarded load) get the
    same value: one fetch, one count. Mutable on purpose, unlike the values around it: it
    is the fetch's running tally, and only ever moves one way (priority up, count up)."""

    priority: Priority = Priority.UNKNOWN
    sent: int = 0

    def found(self, priority: Priority = Priority.KNOWN) -> None:
        """The rest of this fetch's calls are for a place now known to exist: a name whose
        geocoding just succeeded must not lose its forecast to the reserve for new names.
        Only ever raises the priority."""
        if _RANK[priority] < _RANK[self.priority]:
            self.priority = priority

    def note_sent(self) -> None:
        """One upstream call went out (or its provider answered without HTTP)."""
        self.sent += 1
