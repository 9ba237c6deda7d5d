"""The design we replace: every hit is a Redis GET plus an INCR, and the JSON decoded and
re-encoded by the handler. On FastAPI, as it was, when FastAPI is installed; else the same
handler on Litestar (which flatters it: Litestar is the faster framework).

Keys as the old service wrote them: `weather:<city>` holds the JSON body and one
`stats:cache_hits` counter takes an INCR per hit. REDIS_URL says where Redis is.
"""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, MediaType, Response, get
from redis.asyncio import Redis

KEY_PREFIX = "weather:"
HITS_KEY = "stats:cache_hits"
FRAMEWORK = "FastAPI" if importlib.util.find_spec("fastapi") else "Litestar"
_redis: dict[str, Redis] = {}


@asynccontextmanager
async def lifespan(_: object) -> AsyncIterator[None]:
    _redis["client"] = Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    try:
        yield
    finally:
        await _redis.pop("client").aclose()


async def lookup(city: str) -> Any | None:
    client = _redis["client"]
    raw = await client.get(KEY_PREFIX + city.strip().lower())
    if raw is None:
        return None
    await client.incr(HITS_KEY)
    return json.loads(raw)


def _fastapi_app() -> Any:
    from fastapi import FastAPI, HTTPException

    app = FastAPI(lifespan=lifespan)

    @app.get("/weather")
    async def weather(city: str) -> Any:
        found = await lookup(city)
        if found is None:
            raise HTTPException(404, "not cached")
        return found  # FastAPI's jsonable_encoder, then json.dumps, as the old service did

    @app.get("/healthz")
    async def healthz() -> dict[str, bool]:
        return {"ok": True}

    return app


def _litestar_app() -> Any:
    @get("/weather")
    async def weather(city: str) -> Response[bytes]:
        found = await lookup(city)
        if found is None:
            return Response(b'{"detail":"not cached"}', status_code=404, media_type=MediaType.JSON)
        return Response(json.dumps(found).encode(), media_type=MediaType.JSON)

    @get("/healthz")
    async def healthz() -> dict[str, bool]:
        return {"ok": True}

    return Litestar(route_handlers=[weather, healthz], lifespan=[lifespan])


app = _fastapi_app() if FRAMEWORK == "FastAPI" else _litestar_app()
