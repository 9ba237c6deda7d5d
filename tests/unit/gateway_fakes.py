"""Fakes for the gateway's unit tests: an upstream that records its calls, and a builder."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from adapters.memory.gateway_store import MemoryPartStore
from adapters.memory.lock import MemoryLock
from adapters.memory.metrics import MemoryMetrics
from domain.model.admission import UpstreamCall
from domain.model.errors import GatewayRefused, UpstreamUnavailable
from domain.model.gateway import Api, GatewayRequest, Point, WireFormat
from domain.model.gateway_part import GatewayPolicy
from domain.use_cases.gateway import ServeGateway
from domain.use_cases.gateway_fetch import FreshUntil, LeasedFetch
from domain.use_cases.gateway_refresh import Refreshes
from domain.use_cases.stampede import StampedeGuard
from tests.unit.fakes import FakeClock

REFUSAL = b'{"error":true,"reason":"Cannot initialize WeatherVariable from invalid String value x"}'


def request(*points: tuple[float, float], api: Api = Api.FORECAST) -> GatewayRequest:
    return GatewayRequest(
        api,
        WireFormat.JSON,
        tuple(Point(lat, lon) for lat, lon in points),
        (("hourly", "temperature_2m"),),
    )


def body_of(point: Point) -> bytes:
    return f'{{"latitude":{point.latitude},"longitude":{point.longitude}}}'.encode()


class FakeUpstream:
    """Answers each point with its own body; `gate` holds calls in flight until set."""

    def __init__(self, *, max_points: int = 1000) -> None:
        self.name = "open-meteo"
        self.max_points = max_points
        self.calls: list[tuple[Point, ...]] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.failing = False
        self.refusing = False

    async def fetch(
        self, query: GatewayRequest, points: Sequence[Point], call: UpstreamCall
    ) -> list[bytes]:
        self.calls.append(tuple(points))
        await self.gate.wait()
        if self.refusing:
            raise GatewayRefused(REFUSAL)
        if self.failing:
            raise UpstreamUnavailable("the fake upstream is down")
        return [body_of(point) for point in points]


class ListJoiner:
    def join(self, query: GatewayRequest, parts: Sequence[bytes]) -> bytes:
        return b"[" + b",".join(parts) + b"]"


class Misses:
    def __init__(self) -> None:
        self.taken: list[tuple[str, float]] = []
        self.refunded: list[tuple[str, float]] = []

    async def take(self, client: str, weight: float = 1.0) -> float:
        self.taken.append((client, weight))
        return float(len(self.taken))  # the "time" it was counted at: its place

    async def refund(self, client: str, taken_at: float) -> None:
        self.refunded.append((client, taken_at))


def gateway_over(
    store: MemoryPartStore,
    lock: MemoryLock,
    upstream: FakeUpstream,
    clock: FakeClock,
    *,
    metrics: MemoryMetrics | None = None,
    misses: Misses | None = None,
    policy: GatewayPolicy | None = None,
    fresh_until: FreshUntil | None = None,
) -> ServeGateway:
    """One process's use case; two over the same store and lock are two processes."""
    metrics = metrics or MemoryMetrics()
    policy = policy or GatewayPolicy(jitter_max_s=0)
    fetch = LeasedFetch(
        store=store,
        lock=lock,
        guard=StampedeGuard(lock, clock=clock, lock_ttl_s=5.0, wait_timeout_s=5.0),
        upstream=upstream,
        policy=policy,
        clock=clock,
        metrics=metrics,
        uniform=lambda: 0.5,
        lock_ttl_s=5.0,
        fresh_until=fresh_until,
    )
    refreshes = Refreshes(fetch, clock=clock, metrics=metrics, backoff_s=policy.refresh_backoff_s)
    return ServeGateway(
        store=store,
        fetch=fetch,
        refreshes=refreshes,
        joiner=ListJoiner(),
        metrics=metrics,
        clock=clock,
        misses=misses,
    )
