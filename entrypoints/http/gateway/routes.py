"""GET and form-encoded POST on Open-Meteo's paths: the query read as its pairs, repeats kept."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from litestar import Request, Response, get, post
from litestar.middleware.rate_limit import get_remote_address

from domain.model.errors import GatewayRefused
from domain.model.gateway import Api, parse_request
from domain.model.gateway_errors import GatewayBadRequest
from domain.model.query import DEFAULT_GRID
from entrypoints.http.gateway.answer import answered, refusal, refused
from entrypoints.http.gateway.near import NEAR_KEY, GatewayNear
from entrypoints.http.services import services_in
from entrypoints.http.weather.params import COORD_GRID_KEY

PATHS = {api.path: api for api in Api}
# A form holds the same parameters as a query string: Open-Meteo's own limits apply to it.
MAX_FORM_BYTES = 65_536
_LIMITS = 2048  # the most pairs a request may hold


def _pairs(raw: bytes) -> list[tuple[str, str]]:
    """Every key=value pair in order, repeats kept (the SDK sends latitude=1&latitude=2)."""
    try:
        text = raw.decode("utf-8")
        return parse_qsl(text, keep_blank_values=True, max_num_fields=_LIMITS, strict_parsing=False)
    except (UnicodeDecodeError, ValueError) as e:
        raise GatewayBadRequest("The query could not be read") from e


async def _serve(
    request: Request[Any, Any, Any], raw: bytes, near: GatewayNear | None = None
) -> Response[bytes]:
    state = request.app.state
    api = PATHS[request.scope["path"]]
    try:
        query = parse_request(
            api,
            _pairs(raw),
            coord_grid=float(state.get(COORD_GRID_KEY, DEFAULT_GRID)),
            today=datetime.now(UTC).date(),
        )
    except GatewayBadRequest as bad:
        return refusal(bad.reason)
    try:
        answer = await services_in(state).serve_gateway(query, get_remote_address(request))
    except GatewayRefused as upstream:
        return refused(upstream.body, remembered=upstream.remembered)
    if near is not None:
        near.keep(request.scope["path"], raw, answer, query.format)
    return answered(answer, query.format, time.time(), request.scope["headers"])


# Open-Meteo's own API, documented by Open-Meteo (and docs/GATEWAY.md), not in Skycache's schema.
@get(list(PATHS), include_in_schema=False)
async def gateway_get(request: Request[Any, Any, Any]) -> Response[bytes]:
    near = request.app.state.get(NEAR_KEY)
    return await _serve(request, request.scope["query_string"], near)


@post(
    list(PATHS),
    status_code=200,
    include_in_schema=False,
    request_max_body_size=MAX_FORM_BYTES,
)
async def gateway_post(request: Request[Any, Any, Any]) -> Response[bytes]:
    body = await request.body()
    query = request.scope["query_string"]
    return await _serve(request, b"&".join(part for part in (query, body) if part))
