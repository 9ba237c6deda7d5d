"""Gateway near cache: whole warm gateway answers kept in-process for about a second.

A warm GET on a gateway path is answered here, before Litestar, with no parsing, no Redis
round trip and no joining, as /weather's near cache answers its hot cities (same
`NEAR_CACHE_TTL`, same price: a worker may answer from its own copy for up to that long
after the shared cache changed, never past the answer's own freshness, never stale)."""

from __future__ import annotations

import dataclasses
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import NamedTuple

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from domain.model.gateway import Api, WireFormat
from domain.model.gateway_answer import GatewayAnswer
from domain.model.outcome import CacheOutcome
from entrypoints.http.gateway.answer import CONTENT_TYPES, answer_parts, etag

PATHS = {api.path: api for api in Api}
NEAR_KEY = "gateway_near"  # the app state's GatewayNear, where the GET route keeps answers
MAX_BYTES = 32 * 1024 * 1024  # answers of many locations are large: bounded by bytes too


class Kept(NamedTuple):
    expires_at: float
    answer: GatewayAnswer  # as a hit: every location HIT
    wire: WireFormat
    tag: bytes


class GatewayNear:
    """An LRU of (path, raw query string) -> answer, each kept at most `ttl_s`, at most
    `max_items` and `max_bytes` of bodies in all; `clock` is the wall clock."""

    def __init__(
        self,
        *,
        ttl_s: float = 1.0,
        max_items: int = 1024,
        max_bytes: int = MAX_BYTES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.ttl_s, self._max_items, self._max_bytes = ttl_s, max_items, max_bytes
        self._clock = clock
        self._items: OrderedDict[tuple[str, bytes], Kept] = OrderedDict()
        self._bytes = 0

    def get(self, path: str, query: bytes) -> Kept | None:
        key = (path, query)
        kept = self._items.get(key)
        if kept is None:
            return None
        if self._clock() >= kept.expires_at:
            self._drop(key)
            return None
        self._items.move_to_end(key)
        return kept

    def keep(self, path: str, query: bytes, answer: GatewayAnswer, wire: WireFormat) -> None:
        """Stores a 200 answer that is not stale, for `ttl_s` or until it turns stale. An
        answer read before a newer write, kept after it, replaces no newer one; where each
        holds a location newer than the other's, neither is kept."""
        if self.ttl_s <= 0 or CacheOutcome.STALE in answer.outcomes:
            return
        now = self._clock()
        expires_at = min(now + self.ttl_s, answer.fresh_until)
        if expires_at <= now or len(answer.body) > self._max_bytes:
            return
        key = (path, query)
        held = self.get(path, query)
        if held is not None and answer.older_than(held.answer):
            if held.answer.older_than(answer):
                self._drop(key)
            return
        hit = dataclasses.replace(answer, outcomes=(CacheOutcome.HIT,) * len(answer.outcomes))
        self._drop(key)
        self._items[key] = Kept(expires_at, hit, wire, etag(answer.body))
        self._bytes += len(answer.body)
        while len(self._items) > self._max_items or self._bytes > self._max_bytes:
            self._drop(next(iter(self._items)))

    def _drop(self, key: tuple[str, bytes]) -> None:
        kept = self._items.pop(key, None)
        if kept is not None:
            self._bytes -= len(kept.answer.body)


class GatewayFastPath:
    """ASGI wrapper: answers warm GETs on the gateway's paths from `near`; `on_hit(api, n)`
    counts a hit of `n` locations, `on_answer(path, status, x_cache)` the request itself;
    everything else goes to `app`."""

    def __init__(
        self,
        app: ASGIApp,
        near: GatewayNear,
        on_hit: Callable[[Api, int], None],
        on_answer: Callable[[str, int, str], None] = lambda path, status, cache: None,
    ) -> None:
        self._app, self._near = app, near
        self._on_hit, self._on_answer = on_hit, on_answer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        warm = scope["type"] == ScopeType.HTTP and scope["method"] == "GET"
        api = PATHS.get(scope["path"]) if warm else None
        kept = self._near.get(scope["path"], scope["query_string"]) if api else None
        if api is None or kept is None:
            await self._app(scope, receive, send)
            return
        self._on_hit(api, len(kept.answer.outcomes))
        status, headers, body = answer_parts(kept.answer, time.time(), scope["headers"], kept.tag)
        raw = [(name.encode(), value.encode()) for name, value in headers.items()]
        if status == 200:
            raw.append((b"content-type", CONTENT_TYPES[kept.wire].encode()))
        raw.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": body, "more_body": False})
        self._on_answer(scope["path"], status, headers["x-cache"])
