"""GET a JSON document into a msgspec Struct, translating every failure into a domain error.

Nothing the upstream sends is trusted beyond `HttpLimits`: the whole call (body included)
has one deadline, the body a size cap, and a 429's Retry-After a ceiling.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import msgspec

from adapters.upstream_call import carrying
from domain.model.admission import UpstreamCall
from domain.model.errors import (
    CityNotFound,
    UnusableAnswer,
    UpstreamBadResponse,
    UpstreamRateLimited,
    UpstreamRejectedKey,
    UpstreamTimedOut,
    UpstreamUnavailable,
    UpstreamUnreadable,
)
from domain.model.query import WeatherQuery
from domain.model.weather import Weather
from ports.provider import WeatherProvider

_MAX_REASON = 200

T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpLimits:
    timeout_s: float = 5.0  # one request: connect, headers and every byte of the body
    max_body_bytes: int = 1_048_576  # decoded; a real answer is a few KB
    retry_after_max_s: float = 3_600.0  # a 429 cannot keep us away longer than this


DEFAULT_LIMITS = HttpLimits()


@dataclass(frozen=True, slots=True)
class Answer:
    """A response read whole, within the limits."""

    status_code: int
    headers: httpx.Headers
    content: bytes

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300


class _ErrorBody(msgspec.Struct):
    reason: str = ""  # Open-Meteo
    message: str = ""  # OpenWeatherMap


async def get_json(
    client: httpx.AsyncClient,
    what: str,
    url: str,
    params: dict[str, Any],
    shape: type[T],
    limits: HttpLimits = DEFAULT_LIMITS,
    *,
    call: UpstreamCall,
) -> T:
    """`what` names the upstream in error reasons ("forecast upstream timed out"); `call`
    is the fetch the request is made for."""
    response = await fetch(client, what, url, params, limits, call=call)
    check_status(what, response, limits)
    return decode(what, response.content, shape)


async def fetch(
    client: httpx.AsyncClient,
    what: str,
    url: str,
    params: dict[str, Any] | httpx.QueryParams,
    limits: HttpLimits = DEFAULT_LIMITS,
    *,
    call: UpstreamCall,
    extensions: dict[str, Any] | None = None,
    form: bool = False,
) -> Answer:
    """The response, whatever its status; transport failures become UpstreamUnavailable.
    `call` and `extensions` travel with the request to the transports (the fetch's
    priority and count, a call's budget weight).
    With `form`, `params` go as a form-encoded POST body instead of the URL's query.

    httpx's own timeout bounds each read, so a body trickling a byte a second would never
    trip it: the whole call runs under one deadline, and the body is streamed and given up
    as soon as it passes the cap (nothing of it is kept)."""
    try:
        async with asyncio.timeout(limits.timeout_s):
            extensions = carrying(call, extensions)
            async with _stream(client, url, params, extensions, form=form) as response:
                content = await _read_capped(what, response, limits.max_body_bytes)
    except (TimeoutError, httpx.TimeoutException) as e:
        raise UpstreamTimedOut(f"{what} upstream timed out") from e
    except httpx.DecodingError as e:  # a body whose Content-Encoding does not decode
        raise UpstreamUnreadable(f"{what} upstream sent an undecodable body") from e
    except (httpx.HTTPError, httpx.InvalidURL) as e:
        raise UpstreamUnavailable(f"{what} upstream connection failed ({type(e).__name__})") from e
    return Answer(response.status_code, response.headers, content)


def _stream(
    client: httpx.AsyncClient,
    url: str,
    params: dict[str, Any] | httpx.QueryParams,
    extensions: dict[str, Any] | None,
    *,
    form: bool,
) -> contextlib.AbstractAsyncContextManager[httpx.Response]:
    if not form:
        return client.stream("GET", url, params=params, extensions=extensions)
    body = str(httpx.QueryParams(params)).encode()
    headers = {"content-type": "application/x-www-form-urlencoded"}
    return client.stream("POST", url, content=body, headers=headers, extensions=extensions)


async def _read_capped(what: str, response: httpx.Response, max_bytes: int) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(what, max_bytes)
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():  # decompressed: a gzip bomb is capped too
        size += len(chunk)
        if size > max_bytes:
            chunks.clear()  # now: the error's traceback keeps this frame alive a while
            raise _too_large(what, max_bytes)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(what: str, max_bytes: int) -> UpstreamBadResponse:
    return UpstreamBadResponse(f"{what} upstream sent a body over {max_bytes} bytes")


def decode(what: str, body: bytes, shape: type[T]) -> T:
    """A body that is JSON but not the documented shape (a field missing, null, of the
    wrong type or out of its bounds) is this query's answer: UnusableAnswer. A body that
    is not JSON at all is no query's answer: UpstreamUnreadable."""
    try:
        return msgspec.json.decode(body, type=shape)
    except msgspec.ValidationError as e:
        raise UnusableAnswer(f"{what} upstream sent an unusable body: {e}") from e
    except msgspec.DecodeError as e:
        raise UpstreamUnreadable(f"{what} upstream sent an unusable body: {e}") from e


def check_status(what: str, response: Answer, limits: HttpLimits = DEFAULT_LIMITS) -> None:
    if response.is_success:
        return
    status = response.status_code
    message = f"{what} upstream answered {status}"
    if reason := _reason(response.content):
        message = f"{message}: {reason}"
    if status == 429:
        retry_after_s = retry_after_s_of(response.headers.get("retry-after"), limits)
        raise UpstreamRateLimited(message, retry_after_s=retry_after_s)
    if status == 401:
        raise UpstreamRejectedKey(message)
    if status >= 500:
        raise UpstreamUnavailable(message)
    if 400 <= status < 500:
        # A 4xx for one query (Open-Meteo: a 400 for one point) is that query's answer.
        raise UnusableAnswer(message)
    # Unfollowed 3xx and the like: their API moved; retrying won't help.
    raise UpstreamBadResponse(message)


def _reason(body: bytes) -> str:
    """Open-Meteo explains errors in `reason`, OpenWeatherMap in `message`."""
    try:
        error = msgspec.json.decode(body, type=_ErrorBody)
    except msgspec.DecodeError:
        return ""
    return (error.reason or error.message)[:_MAX_REASON]


def retry_after_s_of(value: str | None, limits: HttpLimits = DEFAULT_LIMITS) -> float | None:
    """Retry-After is either delta-seconds or an HTTP date (RFC 9110, 10.2.3). A value that
    is neither, negative or not finite is treated as absent; a date in the past is 0; any
    wait is clamped to `limits.retry_after_max_s`, so one header cannot switch us off."""
    if not value:
        return None
    try:
        seconds = float(value)  # lenient: "1.5" and "1e3" are read too, then clamped
    except ValueError:
        try:
            # time.time on purpose: an upstream's HTTP date is on the real clock, like st_mtime.
            seconds = max(email.utils.parsedate_to_datetime(value).timestamp() - time.time(), 0)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return min(seconds, limits.retry_after_max_s)


class LastCallHealth:
    """A provider's healthy(): whether its last call got an answer. An unknown city is an
    answer (the upstream works; the city does not exist), and so is a body we cannot use,
    except a rejected key (no call of ours can get past it) and a body that is not JSON."""

    def __init__(self) -> None:
        self._healthy = True

    def __call__(self) -> bool:
        return self._healthy

    @contextlib.contextmanager
    def tracking(self) -> Iterator[None]:
        try:
            yield
        except (UpstreamRejectedKey, UpstreamUnreadable):
            self._healthy = False
            raise
        except (CityNotFound, UpstreamBadResponse):
            self._healthy = True
            raise
        except UpstreamUnavailable:
            self._healthy = False
            raise
        self._healthy = True


class HttpProvider(WeatherProvider):
    """A provider that answers from `url`: `current` is its `_fetch`, tracked by a
    LastCallHealth that `healthy()` reads."""

    def __init__(self, client: httpx.AsyncClient, url: str, limits: HttpLimits) -> None:
        self._client = client
        self._url = url
        self._limits = limits
        self._health = LastCallHealth()

    async def current(self, query: WeatherQuery, call: UpstreamCall) -> Weather:
        with self._health.tracking():
            return await self._fetch(query, call)

    def healthy(self) -> bool:
        return self._health()

    async def _fetch(self, query: WeatherQuery, call: UpstreamCall) -> Weather:
        raise NotImplementedError
