"""Traffic for the fault benchmark: every answer's status, staleness and latency, summed up."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import httpx

TRANSPORT_ERROR = 0  # the status recorded when no HTTP answer came back at all


@dataclass(frozen=True, slots=True)
class Sample:
    status: int
    stale: bool
    latency_s: float


@dataclass(frozen=True, slots=True)
class FaultRun:
    label: str
    samples: Sequence[Sample]
    upstream_calls: int
    duration_s: float
    provider_calls: int | None = None

    @property
    def statuses(self) -> Counter[int]:
        return Counter(s.status for s in self.samples)

    @property
    def stale(self) -> int:
        return sum(s.stale for s in self.samples)

    def percentile_ms(self, q: float) -> float:
        latencies = sorted(s.latency_s for s in self.samples)
        if not latencies:
            return 0.0
        return 1000 * latencies[min(int(q * len(latencies)), len(latencies) - 1)]


async def drive(
    base_url: str, paths: Iterable[str], *, parallel: int, rate: float | None = None
) -> list[Sample]:
    """Send every path once, `parallel` at a time over keep-alive connections, and no
    faster than `rate` per second, so that a run lasts long enough to see probes."""
    pending = enumerate(paths)
    samples: list[Sample] = []
    limits = httpx.Limits(max_connections=parallel, max_keepalive_connections=parallel)
    loop = asyncio.get_running_loop()
    start = loop.time()
    async with httpx.AsyncClient(base_url=base_url, timeout=30, limits=limits) as client:

        async def worker() -> None:
            for i, path in pending:  # one shared iterator: each worker takes the next path
                if rate:
                    await asyncio.sleep(max(start + i / rate - loop.time(), 0.0))
                samples.append(await _one(client, path))

        await asyncio.gather(*(worker() for _ in range(parallel)))
    return samples


async def _one(client: httpx.AsyncClient, path: str) -> Sample:
    started = time.perf_counter()
    try:
        response = await client.get(path)
    except httpx.HTTPError:
        return Sample(TRANSPORT_ERROR, False, time.perf_counter() - started)
    stale = response.headers.get("x-cache") == "STALE"
    return Sample(response.status_code, stale, time.perf_counter() - started)
