"""Gateway ports: the upstream that answers several locations in one call, and the codec."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from domain.model.admission import UpstreamCall
from domain.model.gateway import GatewayRequest, Point


class GatewayUpstream(Protocol):
    """One upstream call per fetch, carrying `call` (its priority, its count). Raises
    GatewayRefused with the upstream's body for its 400, UpstreamUnavailable (and
    subclasses) for every other failure."""

    name: str  # the provider whose answers these are, recorded with each stored part
    max_points: int  # the most points one call may carry

    async def fetch(
        self, query: GatewayRequest, points: Sequence[Point], call: UpstreamCall
    ) -> list[bytes]:
        """Each point's part of the answer, in the order of `points`."""
        ...


class PartJoiner(Protocol):
    def join(self, query: GatewayRequest, parts: Sequence[bytes]) -> bytes:
        """The body Open-Meteo would send for `query`, made of one part per point."""
        ...
