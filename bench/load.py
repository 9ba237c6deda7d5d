"""Load generators: `wrk` when installed, else a bundled asyncio client (slower, same shape)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

# wrk formats every request once per thread, then rotates through them; done() prints
# exact numbers (microseconds), so nothing depends on wrk's human-readable units.
WRK_SCRIPT = """
local reqs, n, i = {}, 0, 0
function init(args)
  for _, path in ipairs(args) do n = n + 1; reqs[n] = wrk.format("GET", path) end
  i = math.random(n)
end
function request() i = i % n + 1; return reqs[i] end
function done(s, latency, _)
  local e = s.errors
  io.write(string.format("BENCH %d %d %d %d %d\\n", s.requests, s.duration,
    latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""


@dataclass(frozen=True, slots=True)
class LoadResult:
    requests: int
    duration_s: float
    p50_ms: float
    p99_ms: float
    errors: int
    tool: str

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def run_wrk(
    url: str,
    paths: Sequence[str],
    *,
    seconds: float,
    connections: int,
    threads: int = 2,
    lua: str = WRK_SCRIPT,
) -> LoadResult:
    """`lua` turns each of `paths` into a request; it must print WRK_SCRIPT's BENCH line."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(lua)
        script.flush()
        command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(round(seconds), 1)}s"]
        command += ["--latency", "--timeout", "5s", "-s", script.name, url, "--", *paths]
        out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30)
    line = next((x for x in out.stdout.splitlines() if x.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed:\n{out.stdout}\n{out.stderr}")
    requests, duration_us, p50_us, p99_us, errors = (int(x) for x in line.split()[1:])
    return LoadResult(requests, duration_us / 1e6, p50_us / 1e3, p99_us / 1e3, errors, "wrk")


def run_python(
    url: str,
    paths: Sequence[str],
    *,
    seconds: float | None = None,
    total: int | None = None,
    connections: int = 64,
) -> LoadResult:
    """Keep-alive connections, each sending the next path as soon as its answer is in."""
    with contextlib.suppress(ImportError):
        import uvloop

        return uvloop.run(_drive(url, paths, seconds, total, connections))
    return asyncio.run(_drive(url, paths, seconds, total, connections))


async def _drive(
    url: str, paths: Sequence[str], seconds: float | None, total: int | None, connections: int
) -> LoadResult:
    host, port = url.removeprefix("http://").split(":")
    queue: Iterator[str] = itertools.cycle(paths)
    if total is not None:
        queue = itertools.islice(queue, total)
    deadline = time.monotonic() + (seconds if seconds is not None else 3600.0)
    latencies: list[float] = []
    errors = [0]
    started = time.monotonic()
    workers = [
        _connection(host, int(port), queue, deadline, latencies, errors) for _ in range(connections)
    ]
    await asyncio.gather(*workers)
    elapsed = time.monotonic() - started
    latencies.sort()

    def pct(q: float) -> float:
        return (
            latencies[min(int(q * len(latencies)), len(latencies) - 1)] * 1e3 if latencies else 0.0
        )

    return LoadResult(len(latencies), elapsed, pct(0.50), pct(0.99), errors[0], "python")


async def _connection(
    host: str,
    port: int,
    queue: Iterator[str],
    deadline: float,
    latencies: list[float],
    errors: list[int],
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for path in queue:
            if time.monotonic() >= deadline:
                return
            sent = time.perf_counter()
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            status = await _read_response(reader)
            latencies.append(time.perf_counter() - sent)
            if status >= 400:
                errors[0] += 1
    finally:
        writer.close()


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return int(lines[0].split()[1])
