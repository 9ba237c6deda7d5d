"""LeasedFetch: the gateway's misses, one lease per location key, one upstream call per batch."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping, Sequence

from domain.model.admission import UpstreamCall
from domain.model.counters import CounterName
from domain.model.errors import (
    CacheUnavailable,
    GatewayRefused,
    TooManyMisses,
    UpstreamUnavailable,
)
from domain.model.gateway import GatewayRequest, Point
from domain.model.gateway_part import GatewayPolicy, StoredPart
from domain.model.outcome import CacheOutcome
from domain.use_cases.gateway_keep import KeepParts
from domain.use_cases.keepalive import KeepAlive
from domain.use_cases.stampede import Role, StampedeGuard
from domain.use_cases.weather_load import fence_of
from ports.clock import Clock
from ports.gateway import GatewayUpstream
from ports.gateway_store import PartStore
from ports.lock import Held, Lease, Lock, Signal
from ports.metrics import Metrics

Found = tuple[StoredPart, CacheOutcome]
Pay = Callable[[float], Awaitable[None]]  # charges a call of this weight, or raises
# When a part fetched now for this query stops being fresh; None: the policy's TTL.
FreshUntil = Callable[[GatewayRequest, float], Awaitable[float | None]]
Fences = Mapping[str, int | None]  # each key's lease's fence (None: no shared clock's)


def count(metrics: Metrics, counter: CounterName, api: object, amount: int = 1) -> None:
    """The total, and the API's own count."""
    metrics.incr(counter, amount)
    metrics.incr_labelled(counter, str(api), amount)


class LeasedFetch:
    """Rules:
    - each missing key's lease is tried once: the keys won are fetched in one upstream
      call (split at the upstream's per-call limit), each part stored, each lease released
      with its outcome; keys another holds are awaited through the StampedeGuard, which
      takes over (one point, one call) only if their holder's lease lapses;
    - each part carries its own key's fence (its lease's; without a shared one, the
      call's start), and is answered as the store kept it: a newer fetch's part wins;
    - the upstream's 400 is stored under the query's refusal key before the leases are
      released, so that every waiter can answer with it."""

    def __init__(
        self,
        *,
        store: PartStore,
        lock: Lock,
        guard: StampedeGuard[StoredPart],
        upstream: GatewayUpstream,
        policy: GatewayPolicy,
        clock: Clock,
        metrics: Metrics,
        uniform: Callable[[], float],
        lock_ttl_s: float,
        fresh_until: FreshUntil | None = None,
    ) -> None:
        self._store, self._lock, self._guard = store, lock, guard
        self._fresh_until = fresh_until
        self._upstream, self._policy, self._clock = upstream, policy, clock
        self._metrics, self._uniform, self._lock_ttl_s = metrics, uniform, lock_ttl_s
        self.keep = KeepParts(store=store, clock=clock)

    async def leases(self, keys: Sequence[str]) -> tuple[dict[str, Lease | None], list[str]]:
        """The keys whose lease this call won (None: the lock backend is down), and the rest."""
        won: dict[str, Lease | None] = {}
        held: list[str] = []
        for key in keys:
            try:
                attempt: Lease | Held | None = await self._lock.acquire(key, self._lock_ttl_s)
            except CacheUnavailable:
                attempt = None
            if isinstance(attempt, Held):
                held.append(key)
            else:
                won[key] = attempt
        return won, held

    async def own(
        self,
        query: GatewayRequest,
        points: Mapping[str, Point],
        leases: Mapping[str, Lease | None],
        call: UpstreamCall,
        *,
        refusal_key: str,
        pay: Pay | None = None,
    ) -> dict[str, Found]:
        """Fetch `points` (key -> point) under `leases`, releasing each with its outcome;
        the upstream calls are made for `call`.
        `pay` is charged the weight of what is left to fetch; when it refuses, the leases
        are given up unfetched (TIMEOUT): their waiters take them over, nothing failed."""
        signals = dict.fromkeys(leases, Signal.FAILED)
        held = [lease for lease in leases.values() if lease is not None]
        fences = {key: None if lease is None else lease.fence for key, lease in leases.items()}
        keepalive = KeepAlive(held, clock=self._clock, ttl_s=self._lock_ttl_s)
        try:
            found = await self._peek(list(points))
            for key in found:
                signals[key] = Signal.DONE
            todo = {key: point for key, point in points.items() if key not in found}
            if pay is not None and todo:
                try:
                    await pay(query.weight(len(todo)))
                except TooManyMisses:
                    signals.update(dict.fromkeys(todo, Signal.TIMEOUT))
                    raise
            for batch in _batches(list(todo.items()), self._upstream.max_points):
                found |= await self._call(query, dict(batch), refusal_key, call, fences)
                signals.update(dict.fromkeys(dict(batch), Signal.DONE))
            return found
        finally:
            await keepalive.stop()  # before the releases: no extend may follow them
            for key, lease in leases.items():
                if lease is not None:
                    with contextlib.suppress(CacheUnavailable):
                        await lease.release(signals[key])

    async def _peek(self, keys: list[str]) -> dict[str, Found]:
        """Another worker may have stored some of them between our miss and our leases;
        only a fresh part counts (a stale one is what a refresh replaces)."""
        try:
            parts = await self._store.get_many(keys)
        except CacheUnavailable:
            return {}
        now = self._clock.now()
        return {
            key: (part, CacheOutcome.COALESCED)
            for key, part in zip(keys, parts, strict=True)
            if part is not None and part.status == 200 and now < part.fresh_until
        }

    async def _call(
        self,
        query: GatewayRequest,
        batch: dict[str, Point],
        refusal_key: str,
        call: UpstreamCall,
        fences: Fences,
    ) -> dict[str, Found]:
        now = self._clock.now()
        # The model runs are read alongside the call, not after it: no added wait on a miss.
        runs = asyncio.ensure_future(self._fresh_until(query, now)) if self._fresh_until else None
        try:
            bodies = await self._upstream.fetch(query, list(batch.values()), call)
        except BaseException as failed:
            if runs is not None:
                runs.cancel()
            if not isinstance(failed, UpstreamUnavailable) or failed.attempted:
                count(self._metrics, CounterName.GATEWAY_API_CALLS, query.api)
            if isinstance(failed, GatewayRefused):
                refusal = self._policy.refusal(failed.body, now, self._upstream.name)
                await self._keep(refusal_key, refusal)
            raise
        count(self._metrics, CounterName.GATEWAY_API_CALLS, query.api)
        follows = await runs if runs is not None else None
        fetched = {
            key: self._policy.answer(
                body,
                kind=query.lifetime_kind(),
                now=now,
                jitter_fraction=self._uniform(),
                provider=self._upstream.name,
                follows=follows,
                fence=fence_of(now, fences.get(key)),
            )
            for key, body in zip(batch, bodies, strict=True)
        }
        kept = await self.keep(fetched)
        return {key: (part, _outcome(part, fetched[key])) for key, part in kept.items()}

    async def _keep(self, key: str, part: StoredPart) -> None:
        with contextlib.suppress(CacheUnavailable):  # answered all the same, uncached
            await self._store.put(key, part, max(part.stale_until - self._clock.now(), 1.0))

    async def wait(
        self, query: GatewayRequest, key: str, point: Point, refusal_key: str, call: UpstreamCall
    ) -> dict[str, Found]:
        """`key`'s part once its holder stores it; fetched alone (for `call`) if the holder
        vanishes."""

        async def load(fence: int | None) -> StoredPart:
            found = await self._call(query, {key: point}, refusal_key, call, {key: fence})
            return found[key][0]

        async def peek() -> StoredPart | None:
            hit = (await self._peek([key])).get(key)
            return hit[0] if hit is not None else None

        part, role = await self._guard.run(key, load, peek)
        return {key: (part, CacheOutcome.MISS if role is Role.OWNER else CacheOutcome.COALESCED)}


def _outcome(kept: StoredPart, fetched: StoredPart) -> CacheOutcome:
    """A MISS answered by this fetch, or by a newer one whose part the store kept."""
    return CacheOutcome.MISS if kept is fetched else CacheOutcome.COALESCED


def _batches(items: list[tuple[str, Point]], size: int) -> list[list[tuple[str, Point]]]:
    """At most `size` points a call, and one call only for points that set the same
    per-location parameters (timezone, elevation): one query cannot give some points a
    value and leave the others to the default."""
    groups: dict[tuple[str, ...], list[tuple[str, Point]]] = {}
    for key, point in items:
        groups.setdefault(tuple(name for name, _ in point.extras), []).append((key, point))
    step = max(size, 1)
    return [
        group[start : start + step]
        for group in groups.values()
        for start in range(0, len(group), step)
    ]
