"""The gateway's answers: Open-Meteo's bytes, with /weather's caching headers."""

from __future__ import annotations

import base64
import hashlib
import math
from collections.abc import Iterable
from email.utils import formatdate

import msgspec
from litestar import Response

from domain.model.gateway import WireFormat
from domain.model.gateway_answer import GatewayAnswer
from entrypoints.http.weather.conditional import not_modified
from entrypoints.http.weather.freshness import STALE_MAX_AGE_S, cache_control

CONTENT_TYPES = {
    WireFormat.JSON: "application/json; charset=utf-8",
    WireFormat.FLATBUFFERS: "application/octet-stream",
}


class _Refusal(msgspec.Struct):
    error: bool
    reason: str


def refusal(reason: str) -> Response[bytes]:
    """Open-Meteo's own 400 shape, for a request Skycache will not forward."""
    return refused(msgspec.json.encode(_Refusal(True, reason)), remembered=False, asked=False)


def refused(body: bytes, *, remembered: bool, asked: bool = True) -> Response[bytes]:
    """The upstream's 400 as it came; X-Cache says whether it was asked (MISS) this time."""
    headers = {"cache-control": "no-store"}
    if asked:
        headers["x-cache"] = "NEGATIVE" if remembered else "MISS"
    return Response(body, status_code=400, media_type="application/json", headers=headers)


def answered(
    answer: GatewayAnswer,
    wire: WireFormat,
    now: float,
    request_headers: Iterable[tuple[bytes, bytes]],
) -> Response[bytes]:
    """A 200, or a 304 when the request's validators still match."""
    status, headers, body = answer_parts(answer, now, request_headers)
    if status == 304:
        return Response(b"", status_code=304, headers=headers)
    return Response(body, status_code=200, media_type=CONTENT_TYPES[wire], headers=headers)


def answer_parts(
    answer: GatewayAnswer,
    now: float,
    request_headers: Iterable[tuple[bytes, bytes]],
    tag: bytes | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of `answer` sent at `now`: 304 when the request's
    validators still match. `tag`: the body's ETag, when already known."""
    # As /weather's (docs/API.md, "HTTP caching"): max-age counts from the Date the answer
    # is sent with, no Age; a stale answer lives a second, so a cache in front replaces its
    # fresh copy; Last-Modified never after that Date.
    stale = "stale" in answer.x_cache.lower()
    max_age = STALE_MAX_AGE_S if stale else max(math.floor(answer.fresh_until - now), 0)
    window = max(answer.stale_until - now - max_age, 0.0)
    tag = tag or etag(answer.body)
    modified = formatdate(min(math.floor(answer.modified_at), math.floor(now)), usegmt=True)
    headers = {
        "cache-control": cache_control(max_age, math.floor(window)).decode(),
        "etag": tag.decode(),
        "last-modified": modified,
        "x-cache": answer.x_cache,
    }
    if len(answer.outcomes) > 1:
        headers["x-cache-locations"] = answer.x_cache_locations
    if not_modified(request_headers, tag, modified.encode()):
        return 304, headers, b""
    return 200, headers, answer.body


def etag(body: bytes) -> bytes:
    return b'"' + base64.urlsafe_b64encode(hashlib.blake2b(body, digest_size=12).digest()) + b'"'
