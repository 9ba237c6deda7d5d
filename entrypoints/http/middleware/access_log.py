"""Request log lines, written in batches: a stdlib log call per request took warm hits down
to about half their throughput; encoding a line here and writing many at once costs a
fraction of that (docs/BENCHMARKS.md, "Reading the targets").

Lines have the same JSON shape as every other log line (logging_setup.JsonFormatter). The
one Flushes of the process writes them on its timer and at shutdown (entrypoints/wiring/
tallies.py); a full buffer is written at once.
"""

from __future__ import annotations

import os
import sys
import time
from typing import BinaryIO

import msgspec

from entrypoints.logging_setup import timestamp

_ENCODER = msgspec.json.Encoder()


class AccessLog:
    def __init__(self, stream: BinaryIO | None = None, *, max_bytes: int = 65_536) -> None:
        self._stream = stream
        self._max_bytes = max_bytes
        self._lines: list[bytes] = []
        self._size = 0
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

    def flush(self) -> None:
        if not self._lines:
            return
        data = b"\n".join(self._lines) + b"\n"
        self._lines.clear()
        self._size = 0
        stream = self._stream or sys.stderr.buffer
        stream.write(data)
        stream.flush()
