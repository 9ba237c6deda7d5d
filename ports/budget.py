"""Budget ports: the upstream calls every worker shares, each client's misses and requests."""

from __future__ import annotations

from typing import Protocol

from domain.model.admission import Priority


class UpstreamBudget(Protocol):
    """HTTP calls to each upstream, counted across every worker and instance.

    Implementations raise domain.model.errors.UpstreamBudgetSpent, with the seconds until the
    call would be admitted, and count nothing for a refused call."""

    async def spend(self, upstream: str, priority: Priority, weight: float = 1.0) -> bool:
        """Count one call about to be sent, as `weight` calls (Open-Meteo counts a heavy
        call as several); True when it is the probe of a closed upstream."""
        ...

    async def close(self, upstream: str, until: float) -> None:
        """The upstream said its quota is gone until `until`: let only a probe through
        now and then, cluster-wide."""
        ...

    async def reopen(self, upstream: str) -> None:
        """A probe was answered: calls flow again."""
        ...


class MissBudget(Protocol):
    """Each client's upstream fetches: its misses and the refreshes its reads start."""

    async def take(self, client: str, weight: float = 1.0) -> float:
        """Count one fetch (as `weight` fetches: a gateway call's Open-Meteo weight) for
        `client`, or raise domain.model.errors.TooManyMisses; returns the time it was
        counted at, for `refund`."""
        ...

    async def refund(self, client: str, taken_at: float) -> None:
        """Take back the fetch counted at `taken_at`: it never reached the upstream."""
        ...


class RequestLimit(Protocol):
    """Each client's requests (RATE_LIMIT), counted across every worker and instance."""

    async def admit(self, client: str) -> float | None:
        """None when `client` may make one more request (it is counted), else the seconds
        until it may."""
        ...
