"""The response headers of /weather and its 304, written into the OpenAPI operation:
Litestar's ResponseSpec has no place for headers, and response_headers reach only a 200
it generates itself."""

from __future__ import annotations

from dataclasses import dataclass

from litestar.openapi.spec import (
    OpenAPIHeader,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Reference,
    Schema,
)

_TEXT = Schema(type=OpenAPIType.STRING)
_SECONDS = Schema(type=OpenAPIType.INTEGER, minimum=0)


def _header(description: str, schema: Schema = _TEXT) -> OpenAPIHeader:
    return OpenAPIHeader(description=description, schema=schema, required=True)


CACHE_CONTROL = _header(
    "public, max-age=<whole seconds from Date to the end of freshness; 1 once stale>, "
    "stale-while-revalidate=<s>, stale-if-error=<s>: a cache downstream may serve it stale "
    "as long as Skycache would. No Age header: the answer is as of its Date"
)
VALIDATORS: dict[str, OpenAPIHeader | Reference] = {
    "Cache-Control": CACHE_CONTROL,
    "Date": _header("When Skycache sent it; the body's age_seconds is as of this moment"),
    "ETag": _header("Strong: names the body's bytes (weather, units, stale or not, age)"),
    "Last-Modified": _header(
        "When the entry was fetched (a stale answer: when it was made); never after Date"
    ),
    "X-Cache": _header(
        "How it was answered",
        Schema(type=OpenAPIType.STRING, enum=["HIT", "MISS", "STALE", "COALESCED"]),
    ),
}
NOT_MODIFIED = OpenAPIResponse(
    description="Not Modified: the If-None-Match tag (or If-Modified-Since date) still "
    "holds; no body, the headers of the 200 it stands for",
    headers=VALIDATORS,
)
UNAVAILABLE: dict[str, OpenAPIHeader | Reference] = {
    "Cache-Control": _header("no-store: a failure says nothing of the next answer"),
    "Retry-After": _header("Seconds to wait before asking again", _SECONDS),
}


@dataclass
class WeatherOperation(Operation):
    """/weather's operation, its 200 and 503 given their headers and a 304 added."""

    def __post_init__(self) -> None:
        responses = self.responses or {}
        for status, headers in (("200", VALIDATORS), ("503", UNAVAILABLE)):
            response = responses.get(status)
            if isinstance(response, OpenAPIResponse):
                response.headers = {**(response.headers or {}), **headers}
        responses["304"] = NOT_MODIFIED
        self.responses = responses
