"""Budget ports: the upstream calls every worker shares, and each client's misses."""

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
    async def take(self, client: str, weight: float = 1.0) -> None:
        """Count one miss (as `weight` misses) for a name never seen, or raise
        domain.model.errors.TooManyMisses."""
        ...
