"""`python -m bench.uvicorn_profile`: a hit served by uvicorn's own HTTP protocol in one
process, request bytes in, response bytes out, for the ceiling and for Skycache.

`bench.hit_profile` times our ASGI stack alone; a worker also runs uvicorn's parser, its
request cycle and task, and its `send` (which serialises the headers): this times all of
it, with the serving options of `skycache serve`, over 64 connections a turn, each with
one request in flight, on uvloop. Only the socket is left out (a transport that keeps the
bytes), so other load on the machine barely moves the figures (CPU µs per request, best
of `--rounds`), and `valgrind --tool=callgrind` counts its instructions
(docs/BENCHMARKS.md, "Hit path, issue 25, third pass").
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import Any

import uvloop
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from bench import baseline_raw
from bench.hit_profile import NEAR_OFF_REDIS, measure_app
from entrypoints.http.uvicorn_parser import JsonErrorsHttpToolsProtocol
from tests.support.redis_server import LocalRedisServer

REQUEST = b"GET /weather?city=Lisbon HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nUser-Agent: wrk\r\n\r\n"
ADDRESSES = {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 50000)}


class _Transport(asyncio.Transport):
    """Keeps what is written: the last response, and how many writes it took."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ADDRESSES.get(name, default)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return False

    def close(self) -> None:
        pass

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def _connections(app: Any, protocol: type[HttpToolsProtocol], n: int) -> list[Any]:
    # The options `skycache serve` passes (entrypoints/cli.py).
    config = Config(app, access_log=False, server_header=False, date_header=False,
                    lifespan="off", log_level="warning")  # fmt: skip
    config.load()
    state = ServerState()
    made = []
    for _ in range(n):
        connection = protocol(config=config, server_state=state, app_state={})
        transport = _Transport()
        connection.connection_made(transport)
        made.append((connection, transport))
    return made


async def _serve(connections: list[tuple[Any, _Transport]], requests: int) -> float:
    """CPU µs per request: each turn, one request on every connection, all answered."""
    tasks = connections[0][0].tasks
    started = time.process_time()
    for _ in range(requests // len(connections)):
        for connection, transport in connections:
            transport.writes.clear()
            connection.data_received(REQUEST)
        while tasks:
            await asyncio.gather(*tasks)
        await asyncio.sleep(0)  # what is written at the end of the loop's turn, too
    spent = time.process_time() - started
    for _, transport in connections:
        answer = b"".join(transport.writes)
        if not answer.startswith(b"HTTP/1.1 200 OK") or b"connection: close" in answer:
            raise SystemExit(f"not a 200 kept alive: {answer[:200]!r}")
    return spent / (requests // len(connections) * len(connections)) * 1e6


async def per_request(app: Any, protocol: type[HttpToolsProtocol], args: Any) -> float:
    connections = _connections(app, protocol, args.connections)
    await _serve(connections, len(connections))  # a miss, then cached
    return min([await _serve(connections, args.requests) for _ in range(args.rounds)])


ROWS: dict[str, dict[str, str] | None] = {
    "raw ASGI ceiling": None,
    "near-cache hit": {"NEAR_CACHE_TTL": "3600", "SKYCACHE_CACHE": "memory"},
    "shared-cache hit, Redis (NEAR_CACHE_TTL=0)": NEAR_OFF_REDIS,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.uvicorn_profile", description=__doc__)
    parser.add_argument("--requests", type=int, default=20_480)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--only", help="the rows whose label holds this")
    args = parser.parse_args(argv)
    print(f"| through uvicorn, in process | CPU µs/request, best of {args.rounds} |\n|---|---:|")
    with LocalRedisServer() as redis:
        for label, env in ROWS.items():
            if args.only and args.only not in label:
                continue
            if env is None:
                spent = uvloop.run(per_request(baseline_raw.app, HttpToolsProtocol, args))
            else:
                env = {**env, "REDIS_URL": redis.url}
                spent = uvloop.run(measure_app(env, per_request, JsonErrorsHttpToolsProtocol, args))
            print(f"| {label} | {spent:.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
