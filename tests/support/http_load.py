"""A small HTTP/1.1 load generator on raw asyncio streams.

One httpx.AsyncClient slows down badly with hundreds of concurrent connections
(encode/httpx#3215); a bare stream per connection keeps 500 of them cheap. It speaks just
enough HTTP for the service under test: GET, keep-alive, Content-Length bodies.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes
    url: str  # the server that answered
    sent_at: float  # time.monotonic(), which every process on the machine shares
    done_at: float

    @property
    def latency_s(self) -> float:
        return self.done_at - self.sent_at

    @property
    def cache(self) -> str:
        return self.headers.get("x-cache", "")

    def json(self) -> Any:
        return json.loads(self.body)


def weather_target(city: str) -> str:
    return "/weather?" + urlencode({"city": city})


class Connection:
    """One keep-alive connection; requests on it run one after another. `source` binds
    the client's address: every 127.x.y.z is loopback on Linux, so one test can play
    several clients the server tells apart."""

    def __init__(self, url: str, source: str | None = None) -> None:
        parts = urlsplit(url)
        self.url = url
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 80
        self._local = (source, 0) if source else None
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def open(self) -> Connection:
        self._streams = await asyncio.open_connection(
            self._host, self._port, local_addr=self._local
        )
        return self

    async def get(self, target: str) -> Reply:
        if self._streams is None:
            await self.open()
        assert self._streams is not None
        reader, writer = self._streams
        request = f"GET {target} HTTP/1.1\r\nHost: {self._host}\r\n\r\n"
        sent_at = time.monotonic()
        writer.write(request.encode())
        head = await reader.readuntil(b"\r\n\r\n")
        status, headers = _parse_head(head)
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        done_at = time.monotonic()
        if headers.get("connection", "").lower() == "close":
            await self.aclose()
        return Reply(status, headers, body, self.url, sent_at, done_at)

    async def aclose(self) -> None:
        if self._streams is not None:
            _, writer = self._streams
            self._streams = None
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


def _parse_head(head: bytes) -> tuple[int, dict[str, str]]:
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return int(status_line.split(" ", 2)[1]), headers


async def get_once(url: str, target: str) -> Reply:
    """One GET on a connection of its own, closed afterwards."""
    connection = Connection(url)
    try:
        return await connection.get(target)
    finally:
        await connection.aclose()


async def ask_each_city(
    url: str, cities: Iterator[str], replies: list[Reply], source: str | None = None
) -> None:
    """One connection asking for `cities` one after another, each reply kept in `replies`.
    Several of these sharing one iterator split its cities between them."""
    connection = Connection(url, source=source)
    try:
        for city in cities:
            replies.append(await connection.get(weather_target(city)))
    finally:
        await connection.aclose()


async def burst(urls: Sequence[str], target: str, count: int) -> list[Reply]:
    """`count` simultaneous GETs, round-robin over `urls`, one connection each.

    Every connection is open before the first request is written, so the requests reach
    the servers together rather than trickling in behind the TCP handshakes.
    """
    return await burst_of(urls, [target] * count)


async def burst_of(urls: Sequence[str], targets: Sequence[str]) -> list[Reply]:
    """Like burst, one simultaneous GET for each of `targets`, in that order."""
    return await burst_to([(urls[i % len(urls)], target) for i, target in enumerate(targets)])


async def burst_to(requests: Sequence[tuple[str, str]]) -> list[Reply]:
    """Like burst, one simultaneous GET for each (server URL, target), in that order."""
    connections = [Connection(url) for url, _ in requests]
    await asyncio.gather(*(c.open() for c in connections))
    try:
        return list(
            await asyncio.gather(
                *(c.get(t) for c, (_, t) in zip(connections, requests, strict=True))
            )
        )
    finally:
        await asyncio.gather(*(c.aclose() for c in connections))


async def closed_loop(
    urls: Sequence[str],
    targets: Sequence[str],
    *,
    clients: int,
    duration_s: float,
    pause_s: float = 0.0,
) -> list[Reply]:
    """`clients` connections, each sending its next GET `pause_s` after the last answer.

    Client i asks `urls[i % len(urls)]` for `targets[i % len(targets)]`.
    """
    stop_at = time.monotonic() + duration_s
    replies: list[Reply] = []

    async def client(url: str, target: str) -> None:
        connection = await Connection(url).open()
        try:
            while time.monotonic() < stop_at:
                replies.append(await connection.get(target))
                if pause_s:
                    await asyncio.sleep(pause_s)
        finally:
            await connection.aclose()

    with paused_gc():
        await asyncio.gather(
            *(client(urls[i % len(urls)], targets[i % len(targets)]) for i in range(clients))
        )
    return replies


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """The load generator's own collections (tens of ms in a big test process) would
    stall every request in flight and be blamed on the server."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


async def stats_when(
    url: str, ready: Callable[[Mapping[str, Any]], bool], timeout_s: float = 5.0
) -> Mapping[str, Any]:
    """GET /stats until `ready` holds: other processes flush their counters in the background."""
    async with asyncio.timeout(timeout_s):
        while True:
            stats: Mapping[str, Any] = (await get_once(url, "/stats")).json()
            if ready(stats):
                return stats
            await asyncio.sleep(0.05)


async def warm_up(urls: Sequence[str], target: str, count: int = 400) -> None:
    """Fill each server's Redis connection pool before a measured burst.

    A stampede on a cold pool opens a connection per request; on a starved 2-core box some
    connects outlast their 0.2 s timeout, and a lock that cannot be reached is rightly
    treated as down (one fetch per process instead of per cluster). /healthz then pings
    Redis, which closes the Redis breaker those timeouts may have opened.
    """
    await burst(urls, target, count)
    for url in urls:
        await get_once(url, "/healthz")
