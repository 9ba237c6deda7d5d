"""ProtectedGateway: the gateway's upstream behind its own Protection."""

from __future__ import annotations

from collections.abc import Sequence

from adapters.resilience.protection import Protection
from domain.model.admission import UpstreamCall
from domain.model.gateway import GatewayRequest, Point
from ports.gateway import GatewayUpstream


class ProtectedGateway(GatewayUpstream):
    """Each upstream call under `protection`'s rules (cap, retry, breaker, 429 window):
    the gateway's, apart from /weather's, so that heavy many-location calls neither hold
    /weather's call slot nor open its breaker. The upstream's 400 counts as an answer."""

    def __init__(self, inner: GatewayUpstream, protection: Protection) -> None:
        self._inner, self.protection = inner, protection
        self.name, self.max_points = inner.name, inner.max_points

    async def fetch(
        self, query: GatewayRequest, points: Sequence[Point], call: UpstreamCall
    ) -> list[bytes]:
        return await self.protection.protect(lambda: self._inner.fetch(query, points, call))
