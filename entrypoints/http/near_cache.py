"""Near cache: encoded /weather responses kept in-process for about a second.

A warm hit is answered here, before Litestar, with no Redis round trip and no I/O for
counters, which is what lets a hot city run near the server's ceiling. The price is
staleness: a worker may answer from its own copy for up to `ttl_s` after Redis changed.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from litestar.types import ASGIApp, Receive, Scope, Send

_JSON = (b"content-type", b"application/json")
_HIT = (b"x-cache", b"HIT")


class NearCache:
    """An LRU of raw query string -> (expiry, age at store time, body)."""

    def __init__(self, *, ttl_s: float = 1.0, max_items: int = 4096) -> None:
        self.ttl_s = ttl_s
        self._max_items = max_items
        self._items: OrderedDict[bytes, tuple[float, float, bytes]] = OrderedDict()

    @property
    def enabled(self) -> bool:
        return self.ttl_s > 0 and self._max_items > 0

    def get(self, query: bytes) -> tuple[float, bytes] | None:
        item = self._items.get(query)
        if item is None:
            return None
        now = time.monotonic()
        expires_at, stored_at, body = item
        if now >= expires_at:
            del self._items[query]
            return None
        return now - stored_at, body

    def put(self, query: bytes, body: bytes, *, age_s: float, fresh_for_s: float) -> None:
        ttl_s = min(self.ttl_s, fresh_for_s)
        if not self.enabled or ttl_s <= 0:
            return
        now = time.monotonic()
        self._items[query] = (now + ttl_s, now - age_s, body)
        self._items.move_to_end(query)
        if len(self._items) > self._max_items:
            self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


class NearCacheFastPath:
    """ASGI wrapper: serves warm GET /weather hits itself, everything else goes to `app`."""

    def __init__(self, app: ASGIApp, near: NearCache, on_hit: Callable[[], None]) -> None:
        self._app = app
        self._near = near
        self._on_hit = on_hit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/weather" and scope["method"] == "GET":
            found = self._near.get(scope["query_string"])
            if found is not None:
                self._on_hit()
                age_s, body = found
                headers = [
                    _JSON,
                    _HIT,
                    (b"age", str(int(age_s)).encode()),
                    (b"content-length", str(len(body)).encode()),
                ]
                await send({"type": "http.response.start", "status": 200, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self._app(scope, receive, send)
