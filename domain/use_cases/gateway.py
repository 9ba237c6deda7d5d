"""ServeGateway: an Open-Meteo request answered from one part per location, shared cluster-wide."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from domain.model.counters import CounterName
from domain.model.errors import CacheUnavailable, GatewayRefused
from domain.model.gateway import GatewayRequest, Point
from domain.model.gateway_answer import GatewayAnswer
from domain.model.gateway_part import StoredPart
from domain.model.outcome import CacheOutcome
from domain.model.policy import Freshness
from domain.use_cases.gateway_fetch import Found, LeasedFetch, count
from domain.use_cases.gateway_fill import FillMissing
from domain.use_cases.gateway_refresh import Refreshes
from ports.budget import MissBudget
from ports.clock import Clock
from ports.gateway import PartJoiner
from ports.gateway_store import PartStore
from ports.metrics import Metrics


def part_key(location_key: str) -> str:
    """A digest: fixed length, and no braces to break the store's hash-slot layout."""
    return "gw:" + hashlib.sha256(location_key.encode()).hexdigest()[:40]


def refusal_key(query: GatewayRequest) -> str:
    """The whole query's key, for the upstream's 400 (not any one location's)."""
    return part_key("\n".join(["refusal", *(query.location_key(p) for p in query.points)]))


class ServeGateway:
    """Rules:
    - every location's part, and the query's remembered refusal, are read in one read;
    - fresh parts are hits; stale ones are served while one refresh per key runs
      cluster-wide; the missing ones are fetched under one lease per key, in one
      upstream call for the keys this request won, while it waits for the others;
    - a location whose fetch failed is answered with this process's last good copy
      (STALE); without one, the request fails;
    - the upstream's 400 is remembered briefly for the query and answered as it came;
    - each client's misses are paid from its miss budget, by the call's weight."""

    def __init__(
        self,
        *,
        store: PartStore,
        fetch: LeasedFetch,
        refreshes: Refreshes,
        joiner: PartJoiner,
        metrics: Metrics,
        clock: Clock,
        misses: MissBudget | None = None,
    ) -> None:
        self._store, self._fetch, self._refreshes = store, fetch, refreshes
        self._joiner, self._metrics, self._clock = joiner, metrics, clock
        self._fill = FillMissing(store=store, fetch=fetch, metrics=metrics, misses=misses)

    async def __call__(self, query: GatewayRequest, client: str = "") -> GatewayAnswer:
        keys = [part_key(query.location_key(point)) for point in query.points]
        points = dict(zip(keys, query.points, strict=True))
        refused = refusal_key(query)
        stored = await self._read([refused, *points])
        refusal = stored.pop(refused, None)
        if refusal is not None and refusal.status == 400:
            raise GatewayRefused(refusal.body, remembered=True)
        found, stale, missing = self._sort(stored, points)
        if stale:
            self._refreshes.start(query, stale, refused)
        if missing:
            found |= await self._fill(query, missing, refused, client)
        return self._answer(query, keys, found)

    async def _read(self, keys: list[str]) -> dict[str, StoredPart]:
        try:
            parts = await self._store.get_many(keys)
        except CacheUnavailable:
            return {}
        return {key: part for key, part in zip(keys, parts, strict=True) if part is not None}

    def _sort(
        self, stored: dict[str, StoredPart], points: dict[str, Point]
    ) -> tuple[dict[str, Found], dict[str, Point], dict[str, Point]]:
        now = self._clock.now()
        found: dict[str, Found] = {}
        stale: dict[str, Point] = {}
        missing: dict[str, Point] = {}
        for key, point in points.items():
            part = stored.get(key)
            state = Freshness.EXPIRED if part is None or part.status != 200 else part.state(now)
            if part is not None and state is Freshness.FRESH:
                found[key] = (part, CacheOutcome.HIT)
            elif part is not None and state is Freshness.STALE:
                found[key] = (part, CacheOutcome.STALE)
                stale[key] = point
            else:
                missing[key] = point
        return found, stale, missing

    def _answer(
        self, query: GatewayRequest, keys: Sequence[str], found: dict[str, Found]
    ) -> GatewayAnswer:
        parts = [found[key][0] for key in keys]
        outcomes = tuple(found[key][1] for key in keys)
        self._count(str(query.api), outcomes)
        return GatewayAnswer(
            body=self._joiner.join(query, [part.body for part in parts]),
            outcomes=outcomes,
            fetched_at=min(part.fetched_at for part in parts),
            modified_at=max(part.fetched_at for part in parts),
            fresh_until=min(part.fresh_until for part in parts),
            stale_until=min(part.stale_until for part in parts),
            fences=tuple(part.fence for part in parts),
        )

    def record_hits(self, api: str, locations: int) -> None:
        """Count an answer given by an outer, in-process layer (the near cache)."""
        count(self._metrics, CounterName.GATEWAY_HITS, api, locations)

    def _count(self, api: str, outcomes: tuple[CacheOutcome, ...]) -> None:
        for outcome in outcomes:
            counter = {
                CacheOutcome.HIT: CounterName.GATEWAY_HITS,
                CacheOutcome.STALE: CounterName.GATEWAY_STALE,
            }.get(outcome, CounterName.GATEWAY_MISSES)
            count(self._metrics, counter, api)

    async def drain(self) -> None:
        await self._refreshes.drain()
