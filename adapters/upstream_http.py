"""GET a JSON document into a msgspec Struct, translating every failure into a domain error."""

from __future__ import annotations

import contextlib
import email.utils
import math
import time
from collections.abc import Iterator
from typing import Any, TypeVar

import httpx
import msgspec

from domain.errors import (
    CityNotFound,
    UpstreamBadResponse,
    UpstreamRateLimited,
    UpstreamUnavailable,
)

_MAX_REASON = 200

T = TypeVar("T")


class _ErrorBody(msgspec.Struct):
    reason: str = ""  # Open-Meteo
    message: str = ""  # OpenWeatherMap


async def get_json(
    client: httpx.AsyncClient, what: str, url: str, params: dict[str, Any], shape: type[T]
) -> T:
    """`what` names the upstream in error reasons ("forecast upstream timed out")."""
    response = await fetch(client, what, url, params)
    check_status(what, response)
    return decode(what, response.content, shape)


async def fetch(
    client: httpx.AsyncClient, what: str, url: str, params: dict[str, Any]
) -> httpx.Response:
    """The response, whatever its status; transport failures become UpstreamUnavailable."""
    try:
        return await client.get(url, params=params)
    except httpx.TimeoutException as e:
        raise UpstreamUnavailable(f"{what} upstream timed out") from e
    except (httpx.HTTPError, httpx.InvalidURL) as e:
        raise UpstreamUnavailable(f"{what} upstream connection failed ({type(e).__name__})") from e


def decode(what: str, body: bytes, shape: type[T]) -> T:
    try:
        return msgspec.json.decode(body, type=shape)
    except msgspec.DecodeError as e:  # ValidationError (missing field, wrong type) included
        raise UpstreamBadResponse(f"{what} upstream sent an unusable body: {e}") from e


def check_status(what: str, response: httpx.Response) -> None:
    if response.is_success:
        return
    message = f"{what} upstream answered {response.status_code}"
    if reason := _reason(response.content):
        message = f"{message}: {reason}"
    if response.status_code == 429:
        retry_after_s = _retry_after_s(response.headers.get("retry-after"))
        raise UpstreamRateLimited(message, retry_after_s=retry_after_s)
    if response.is_server_error:
        raise UpstreamUnavailable(message)
    # Other 4xx (and unfollowed 3xx): our request or their API changed; retrying won't help.
    raise UpstreamBadResponse(message)


def _reason(body: bytes) -> str:
    """Open-Meteo explains errors in `reason`, OpenWeatherMap in `message`."""
    try:
        error = msgspec.json.decode(body, type=_ErrorBody)
    except msgspec.DecodeError:
        return ""
    return (error.reason or error.message)[:_MAX_REASON]


def _retry_after_s(value: str | None) -> float | None:
    """Retry-After is either delta-seconds or an HTTP date (RFC 9110, 10.2.3)."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = email.utils.parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return None
    return max(seconds, 0.0) if math.isfinite(seconds) else None


class LastCallHealth:
    """A provider's healthy(): whether its last call got an answer. An unknown city is an
    answer (the upstream works; the city does not exist)."""

    def __init__(self) -> None:
        self._healthy = True

    def __call__(self) -> bool:
        return self._healthy

    @contextlib.contextmanager
    def tracking(self) -> Iterator[None]:
        try:
            yield
        except UpstreamUnavailable:
            self._healthy = False
            raise
        except CityNotFound:
            self._healthy = True
            raise
        self._healthy = True
