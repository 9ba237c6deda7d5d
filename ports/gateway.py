"""Gateway ports: the request as the use case reads it, the upstream, and the wire codec."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol


class GatewayQuery(Protocol):
    """What the use case needs of a parsed Open-Meteo request (domain.model.gateway's
    GatewayRequest): its points in order, each point's cache key, and its call weight."""

    @property
    def api(self) -> Any: ...  # an Api: its value names the API in counters

    @property
    def format(self) -> Any: ...  # a WireFormat

    @property
    def points(self) -> tuple[Any, ...]: ...

    def location_key(self, point: Any) -> str: ...

    def weight(self, n_points: int) -> float: ...

    def lifetime_kind(self) -> str: ...


class GatewayUpstream(Protocol):
    """One upstream call per fetch. Raises GatewayRefused with the upstream's body for its
    400, UpstreamUnavailable (and subclasses) for every other failure."""

    max_points: int  # the most points one call may carry

    async def fetch(self, query: GatewayQuery, points: Sequence[Any]) -> list[bytes]:
        """Each point's part of the answer, in the order of `points`."""
        ...


class PartJoiner(Protocol):
    def join(self, query: GatewayQuery, parts: Sequence[bytes]) -> bytes:
        """The body Open-Meteo would send for `query`, made of one part per point."""
        ...
