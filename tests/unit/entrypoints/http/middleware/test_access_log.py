"""The batched request log: same JSON lines as the rest, delayed a little, never lost."""

import asyncio
import io
import json

from entrypoints.http.middleware.access_log import AccessLog


async def test_lines_are_written_as_json_after_the_flush_delay() -> None:
    stream = io.BytesIO()
    log = AccessLog(stream, flush_s=0.05)
    log.write("GET", "/weather", 200, 0.0012, "HIT")
    log.write("GET", "/stats", 200, None, None)
    assert stream.getvalue() == b""
    await asyncio.sleep(0.1)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["path"] for line in lines] == ["/weather", "/stats"]
    assert lines[0]["latency_ms"] == 1.2
    assert lines[0]["cache"] == "HIT"
    assert {"ts", "level", "logger", "pid", "msg", "method", "status"} <= set(lines[0])


async def test_a_full_buffer_is_written_at_once() -> None:
    stream = io.BytesIO()
    log = AccessLog(stream, flush_s=60, max_bytes=1_000)
    for _ in range(20):
        log.write("GET", "/weather", 200, 0.001, "HIT")
    assert len(stream.getvalue().splitlines()) >= 5


async def test_flush_writes_whatever_is_left() -> None:
    stream = io.BytesIO()
    log = AccessLog(stream, flush_s=60)
    log.write("GET", "/healthz", 200, 0.001, None)
    log.flush()
    assert json.loads(stream.getvalue())["path"] == "/healthz"
