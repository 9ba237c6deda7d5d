"""Request log lines, written in batches: a stdlib log call per request took warm hits down
to about half their throughput; encoding a line here and writing many at once costs a
fraction of that (docs/BENCHMARKS.md, "Reading the targets").

Lines have the same JSON shape as every other log line (logging_setup.JsonFormatter) and
reach stderr at most `flush_s` after the request, or at shutdown.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from typing import BinaryIO

import msgspec

from entrypoints.logging_setup import timestamp

_ENCODER = msgspec.json.Encoder()


class AccessLog:
    def __init__(
        self, stream: BinaryIO | None = None, *, flush_s: float = 0.2, max_bytes: int = 65_536
    ) -> None:
        self._stream = stream
        self._flush_s = flush_s
        self._max_bytes = max_bytes
        self._lines: list[bytes] = []
        self._size = 0
        self._scheduled = False
        self._pid = os.getpid()

    def write(
        self, method: str, path: str, status: int, seconds: float | None, cache: str | None
    ) -> None:
        line = _ENCODER.encode(
            {
                "ts": timestamp(time.time()),
                "level": "info",
                "logger": "skycache.access",
                "pid": self._pid,
                "msg": "request",
                "method": method,
                "path": path,
                "status": status,
                "latency_ms": None if seconds is None else round(seconds * 1000, 3),
                "cache": cache,
            }
        )
        self._lines.append(line)
        self._size += len(line) + 1
        if self._size >= self._max_bytes:
            self.flush()
        elif not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_later(self._flush_s, self.flush)

    def flush(self) -> None:
        self._scheduled = False
        if not self._lines:
            return
        data = b"\n".join(self._lines) + b"\n"
        self._lines.clear()
        self._size = 0
        stream = self._stream or sys.stderr.buffer
        stream.write(data)
        stream.flush()
