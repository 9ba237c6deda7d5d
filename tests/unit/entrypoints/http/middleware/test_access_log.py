"""The batched request log: same JSON lines as the rest, delayed a little, never lost."""

import asyncio
import io
import json

from adapters.flushes import Flushes
from entrypoints.http.middleware.access_log import AccessLog
from entrypoints.wiring.tallies import ACCESS_LOG_FLUSH_S
from tests.unit.fakes import FakeClock


async def settle() -> None:
    for _ in range(5):  # the timer task starts waiting, or wakes and runs its flush
        await asyncio.sleep(0)


async def test_lines_are_written_as_json_when_the_flush_period_ends() -> None:
    stream, clock = io.BytesIO(), FakeClock()
    log = AccessLog(stream)
    flushes = Flushes(clock)
    flushes.register("access log", log.flush, every_s=ACCESS_LOG_FLUSH_S)
    flushes.open()
    await settle()
    try:
        log.write("GET", "/weather", 200, 0.0012, "HIT")
        log.write("GET", "/stats", 200, None, None)
        clock.advance(ACCESS_LOG_FLUSH_S * 0.9)
        await settle()
        assert stream.getvalue() == b""  # just inside the period
        clock.advance(ACCESS_LOG_FLUSH_S * 0.1)
        await settle()
        lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        await flushes.close()
    assert [line["path"] for line in lines] == ["/weather", "/stats"]
    assert lines[0]["latency_ms"] == 1.2
    assert lines[0]["cache"] == "HIT"
    assert {"ts", "level", "logger", "pid", "msg", "method", "status"} <= set(lines[0])


async def test_a_full_buffer_is_written_at_once() -> None:
    one = io.BytesIO()
    AccessLog(one, max_bytes=0).write("GET", "/weather", 200, 0.001, "HIT")  # one line, at once
    fill = -(-1_000 // len(one.getvalue()))  # lines that reach max_bytes
    stream = io.BytesIO()
    log = AccessLog(stream, max_bytes=1_000)
    for _ in range(fill - 1):
        log.write("GET", "/weather", 200, 0.001, "HIT")
    assert stream.getvalue() == b""  # just inside the buffer
    log.write("GET", "/weather", 200, 0.001, "HIT")
    assert len(stream.getvalue().splitlines()) == fill


async def test_flush_writes_whatever_is_left() -> None:
    stream = io.BytesIO()
    log = AccessLog(stream)
    log.write("GET", "/healthz", 200, 0.001, None)
    log.flush()
    assert json.loads(stream.getvalue())["path"] == "/healthz"
