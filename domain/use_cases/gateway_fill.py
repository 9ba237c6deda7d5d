"""FillMissing: a request's missing locations, fetched once per key in this process and
cluster-wide, each failed one answered from this process's last good copy."""

from __future__ import annotations

import asyncio
import contextlib

from domain.model.admission import Priority, UpstreamCall
from domain.model.counters import CounterName
from domain.model.errors import (
    CacheUnavailable,
    GatewayRefused,
    TooManyMisses,
    UpstreamUnavailable,
)
from domain.model.gateway import GatewayRequest, Point
from domain.model.gateway_part import StoredPart
from domain.model.outcome import CacheOutcome
from domain.use_cases.gateway_fetch import Found, LeasedFetch, count
from domain.use_cases.gateway_inflight import InFlight
from ports.budget import MissBudget
from ports.gateway_store import PartStore
from ports.metrics import Metrics


class FillMissing:
    """Rules:
    - the first request in this process to miss a key claims it; the others join it;
    - a request that sends an upstream call pays its client's miss budget by the call's
      weight; one that joined a fetch another client's budget refused fetches with its own;
    - claimed keys whose lease is won are fetched in one upstream call; the others are
      awaited from their holders;
    - a failed location is answered with the last good copy (STALE), else the request fails
      (with the upstream's remembered 400 when that is why);
    - that copy is written back to the store (which had lost it), with its own fetch's
      fence: the newest this process saw, so never above what it replaces, and a newer
      part stored meanwhile is kept and answered instead."""

    def __init__(
        self,
        *,
        store: PartStore,
        fetch: LeasedFetch,
        metrics: Metrics,
        misses: MissBudget | None,
    ) -> None:
        self._store, self._fetch, self._metrics = store, fetch, metrics
        self._misses = misses
        self._inflight = InFlight()

    async def __call__(
        self,
        query: GatewayRequest,
        missing: dict[str, Point],
        refused: str,
        client: str,
        *,
        retry: bool = True,
    ) -> dict[str, Found]:
        mine, joined = self._inflight.claim(missing)
        found: dict[str, Found] = {}
        failures: dict[str, BaseException] = {}
        try:
            found, failures = await self._gather(query, missing, mine, joined, refused, client)
        except BaseException as error:
            failures = dict.fromkeys(mine, error)  # the joiners learn why
            raise
        finally:
            self._inflight.settle(mine, found, failures)
        # Another client's budget refused the fetch these joined: this one tries its own.
        theirs = [key for key in joined if isinstance(failures.get(key), TooManyMisses)]
        if retry and theirs:
            for key in theirs:
                del failures[key]
            again = {key: missing[key] for key in theirs}
            found |= await self(query, again, refused, client, retry=False)
        if failures:
            count(self._metrics, CounterName.GATEWAY_ERRORS, query.api, len(failures))
            found |= await self._last_good(query, failures, refused)
        return found

    async def _gather(
        self,
        query: GatewayRequest,
        missing: dict[str, Point],
        mine: list[str],
        joined: dict[str, asyncio.Future[Found]],
        refused: str,
        client: str,
    ) -> tuple[dict[str, Found], dict[str, BaseException]]:
        """What this request fetched or awaited, and what failed, by key."""
        found: dict[str, Found] = {}
        failures: dict[str, BaseException] = {}
        joins = [self._inflight.join(key, running) for key, running in joined.items()]
        (groups, results), joint = await asyncio.gather(
            self._fetch_claimed(query, missing, mine, refused, client),
            asyncio.gather(*joins, return_exceptions=True),
        )
        for keys, result in zip([*groups, *([k] for k in joined)], [*results, *joint], strict=True):
            if isinstance(result, BaseException):
                failures |= dict.fromkeys(keys, result)
            else:
                found |= result
        return found, failures

    async def _fetch_claimed(
        self,
        query: GatewayRequest,
        missing: dict[str, Point],
        mine: list[str],
        refused: str,
        client: str,
    ) -> tuple[list[list[str]], list[dict[str, Found] | BaseException]]:
        """The keys this process claimed: those whose lease it wins in one call, paid by
        this request's client; the others awaited from their holders, paid by theirs."""

        taken: list[float] = []

        async def pay(weight: float) -> None:
            if self._misses is not None:
                taken.append(await self._misses.take(client, weight))

        won, held = await self._fetch.leases(mine)
        points = {key: missing[key] for key in won}
        call = UpstreamCall(Priority.KNOWN)  # coordinates: a place known to exist
        own = self._fetch.own(query, points, won, call, refusal_key=refused, pay=pay)
        waits = [self._fetch.wait(query, key, missing[key], refused, call) for key in held]
        results = await asyncio.gather(own, *waits, return_exceptions=True)
        if taken and _unsent(results[0]):
            await self._refund(client, taken[0])
        return [list(won), *([key] for key in held)], list(results)

    async def _refund(self, client: str, taken_at: float) -> None:
        """The call was turned away before any I/O (breaker open, no free slot): the
        client's miss budget is given back, as /weather gives it back."""
        if self._misses is not None:
            with contextlib.suppress(CacheUnavailable):
                await self._misses.refund(client, taken_at)

    async def _last_good(
        self, query: GatewayRequest, failures: dict[str, BaseException], refused: str
    ) -> dict[str, Found]:
        """Each failed location's last good copy; without one, the request's error."""
        kept = {key: self._store.last_good(key) for key in failures}
        copies = {key: part for key, part in kept.items() if part is not None}
        if len(copies) == len(kept):
            restored = await self._fetch.keep(copies)
            return {key: (part, _restored(part, copies[key])) for key, part in restored.items()}
        errors = list(failures.values())
        refusal = next((e for e in errors if isinstance(e, GatewayRefused)), None)
        if refusal is None and any(isinstance(e, UpstreamUnavailable) for e in errors):
            # A waiter learns only that its holder failed: the holder may have been refused.
            stored = await self._read(refused)
            if refused in stored and stored[refused].status == 400:
                refusal = GatewayRefused(stored[refused].body, remembered=True)
        raise refusal or next(e for e in errors if isinstance(e, Exception))

    async def _read(self, key: str) -> dict[str, StoredPart]:
        try:
            (part,) = await self._store.get_many([key])
        except CacheUnavailable:
            return {}
        return {} if part is None else {key: part}


def _restored(kept: StoredPart, copy: StoredPart) -> CacheOutcome:
    """STALE for the copy written back; a newer part the store kept instead is an answer
    another fetch gave."""
    return CacheOutcome.STALE if kept is copy else CacheOutcome.COALESCED


def _unsent(result: object) -> bool:
    return isinstance(result, UpstreamUnavailable) and not result.attempted
