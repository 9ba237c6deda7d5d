"""Cache admin over HTTP: DELETE /admin/cache/{city}, POST /admin/warm, behind a bearer token.

The routes exist only when ADMIN_TOKEN is set (else 404, and absent from /schema). A
missing or malformed Authorization header is a 401, a wrong token a 403, both JSON; the
token is compared in constant time and never logged. /metrics can sit behind its own
token (METRICS_TOKEN) the same way."""

from __future__ import annotations

import logging
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, Router, delete, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody

from domain.model.query import WeatherQuery, display_name
from entrypoints.http.middleware.bearer import bearer_guard, client_of
from entrypoints.http.services import HttpServices
from entrypoints.settings import Settings

log = logging.getLogger("skycache.admin")

MAX_WARM_CITIES = 100


class WarmRequest(msgspec.Struct, forbid_unknown_fields=True):
    cities: Annotated[list[str], msgspec.Meta(min_length=1, max_length=MAX_WARM_CITIES)]


class WarmedCity(msgspec.Struct):
    city: str
    outcome: str  # HIT, MISS, STALE, COALESCED; not_found or failed
    detail: str | None = None
    stored: bool = False  # in the shared cache now, for every instance


class WarmResponse(msgspec.Struct):
    warmed: list[WarmedCity]


class PurgeResponse(msgspec.Struct):
    purged: str


class PurgeIncomplete(msgspec.Struct):
    """503: the shared cache did not answer; what was forgotten and what still holds it."""

    status_code: int
    error: str
    detail: str
    city: str
    purged: list[str]
    not_purged: list[str]


_PURGED_HERE = ["this process's copies"]
_NOT_PURGED = ["the shared cache (Redis), read by every worker and instance"]


@delete(
    "/cache/{city:str}",
    status_code=200,
    summary="Forget one city's weather on every instance (near caches within a second)",
    responses={
        503: ResponseSpec(
            PurgeIncomplete, description="The shared cache did not answer: what was not purged"
        )
    },
)
async def purge(
    city: FromPath[str], request: Request[Any, Any, Any], services: NamedDependency[HttpServices]
) -> PurgeResponse | Response[PurgeIncomplete]:
    query = WeatherQuery.parse(city)
    purged = await services.purge_city(query)
    extra = {"city": query.key, "client": client_of(request), "shared": purged.shared}
    log.log(logging.INFO if purged.shared else logging.WARNING, "admin purge", extra=extra)
    if purged.shared:
        return PurgeResponse(purged=display_name(query))
    detail = "the shared cache did not answer: purge again once it does"
    body = PurgeIncomplete(503, "shared_cache_unavailable", detail, purged.city,
                           _PURGED_HERE, _NOT_PURGED)  # fmt: skip
    return Response(body, status_code=503, headers={"Retry-After": "5"})


@post(
    "/warm",
    status_code=200,
    summary="Fetch cities now, through the stampede guard and the upstream budget",
)
async def warm(
    data: JSONBody[WarmRequest],
    request: Request[Any, Any, Any],
    services: NamedDependency[HttpServices],
) -> WarmResponse:
    queries = [WeatherQuery.parse(city) for city in data.cities]
    warmed = await services.warm_cities(queries)
    outcomes = [w.outcome for w in warmed]
    log.info("admin warm", extra={"cities": len(queries), "client": client_of(request),
                                  "fetched": outcomes.count("MISS")})  # fmt: skip
    return WarmResponse([WarmedCity(w.city, w.outcome, w.detail, w.stored) for w in warmed])


def admin_routers(settings: Settings) -> list[Router]:
    """The admin router when ADMIN_TOKEN is set; none otherwise."""
    if not settings.admin_token:
        return []
    return [
        Router("/admin", route_handlers=[purge, warm], guards=[bearer_guard(settings.admin_token)])
    ]
