"""One table from errors to HTTP statuses; every error body is JSON, never a stack trace."""

from __future__ import annotations

import logging
import math

from litestar import MediaType, Request, Response
from litestar.datastructures import State
from litestar.exceptions import HTTPException
from litestar.types import ExceptionHandlersMap

from domain.model.errors import (
    CityNotFound,
    InvalidCity,
    InvalidCoordinates,
    InvalidQuery,
    SkycacheError,
    TooManyMisses,
    UnusableAnswer,
    UpstreamBadResponse,
    UpstreamBudgetSpent,
    UpstreamRateLimited,
    UpstreamUnavailable,
    WaitTimedOut,
)
from entrypoints.http.schemas import ErrorResponse

log = logging.getLogger("skycache.http")

# The ceiling on the Retry-After clients are sent, whatever the wait behind it (a daily
# quota, a clock far off): the app puts UPSTREAM_RETRY_AFTER_MAX in its state under this.
RETRY_AFTER_MAX_KEY = "retry_after_max_s"
DEFAULT_RETRY_AFTER_MAX_S = 3_600.0

# Most specific first: the first matching class decides.
_STATUS: list[tuple[type[SkycacheError], int, str]] = [
    (InvalidCity, 400, "invalid_city"),
    (InvalidCoordinates, 400, "invalid_coordinates"),
    (InvalidQuery, 400, "invalid_query"),
    (CityNotFound, 404, "city_not_found"),
    (TooManyMisses, 429, "too_many_misses"),
    (UpstreamBadResponse, 502, "upstream_bad_response"),
    (UpstreamBudgetSpent, 503, "upstream_budget_spent"),
    (UpstreamRateLimited, 503, "upstream_rate_limited"),
    (WaitTimedOut, 503, "upstream_wait_timed_out"),
    (UpstreamUnavailable, 503, "upstream_unavailable"),
]


def status_of(exc: SkycacheError) -> tuple[int, str] | None:
    """The status and error code the table gives a domain error; None if it has none."""
    for kind, status, code in _STATUS:
        if isinstance(exc, kind):
            return status, code
    return None


def _json(
    status: int, error: str, detail: str, headers: dict[str, str] | None = None
) -> Response[ErrorResponse]:
    body = ErrorResponse(error=error, detail=detail, status_code=status)
    return Response(body, status_code=status, media_type=MediaType.JSON, headers=headers)


def domain_error(
    request: Request[object, object, State], exc: SkycacheError
) -> Response[ErrorResponse]:
    described = status_of(exc)
    if described is None:
        return unexpected_error(request, exc)
    status, code = described
    if isinstance(exc, UpstreamUnavailable):
        log.warning("upstream unavailable", extra={"error": code, "reason": exc.reason})
    ceiling = request.app.state.get(RETRY_AFTER_MAX_KEY, DEFAULT_RETRY_AFTER_MAX_S)
    return _json(status, code, str(exc), _headers(exc, ceiling))


def retry_after(seconds: float | None, ceiling: float) -> str:
    """Whole seconds, at least 1 and at most `ceiling`; 5 when nobody knows."""
    wait = 5.0 if seconds is None or not math.isfinite(seconds) else seconds
    return str(int(min(max(math.ceil(wait), 1), max(math.floor(ceiling), 1))))


_NO_STORE = {"Cache-Control": "no-store"}


def _headers(exc: SkycacheError, ceiling: float) -> dict[str, str] | None:
    # Failures are never stored downstream: they say nothing of the next answer.
    if isinstance(exc, UnusableAnswer) and exc.outcome is not None:
        # Remembered: it is answered by the cache until it expires, with no upstream call.
        return _NO_STORE | {
            "Retry-After": retry_after(exc.retry_after_s, ceiling),
            "X-Cache": exc.outcome.value,
        }
    if isinstance(exc, UpstreamUnavailable):
        # Nothing usable was cached, so the cache was missed, whoever did the fetch.
        wait = retry_after(exc.retry_after_s, ceiling)
        return _NO_STORE | {"Retry-After": wait, "X-Cache": "MISS"}
    if isinstance(exc, TooManyMisses):
        return _NO_STORE | {"Retry-After": retry_after(exc.retry_after_s, ceiling)}
    if isinstance(exc, CityNotFound) and not exc.final:
        # A fallback's word while the first provider failed: not remembered anywhere.
        return _NO_STORE | {"X-Cache": "MISS"}
    if isinstance(exc, CityNotFound) and exc.outcome is not None:
        # Caches downstream may remember "no such city" as long as Skycache does.
        remembered = round(exc.fresh_for_s or 0)
        return {"X-Cache": exc.outcome.value, "Cache-Control": f"public, max-age={remembered}"}
    return None


_FIXED_DETAIL = {
    400: "the request's parameters are not valid",
    404: "no such route",
}


def http_error(_: Request[object, object, State], exc: HTTPException) -> Response[ErrorResponse]:
    # Litestar's own errors (404 route, 405, 400 validation) keep their status, in our shape.
    # Its 400 detail quotes the request URL, so it is replaced: bodies never echo input.
    detail = (
        "internal error"
        if exc.status_code >= 500
        else _FIXED_DETAIL.get(exc.status_code, exc.detail)
    )
    code = "bad_request" if exc.status_code == 400 else f"http_{exc.status_code}"
    headers = {
        k: v
        for k, v in (exc.headers or {}).items()
        if k.lower() in ("allow", "retry-after", "www-authenticate")
    }
    if exc.status_code >= 500 or exc.status_code == 429:
        headers |= _NO_STORE
    return _json(exc.status_code, code, detail, headers)


def unexpected_error(_: Request[object, object, State], exc: Exception) -> Response[ErrorResponse]:
    log.exception("unexpected error", exc_info=exc)
    return _json(500, "internal_error", "internal error", _NO_STORE)


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    SkycacheError: domain_error,
    HTTPException: http_error,
    Exception: unexpected_error,
}
