"""A private HTTP cache that counts age as RFC 9111 says, like a browser, Varnish or hishel.

`Stored` is the arithmetic of one response (4.2.1 freshness lifetime, 4.2.3 current age);
`AgeAwareCache` keeps responses by URL in front of an httpx client, answers from a fresh
copy, and revalidates a stale one with its ETag, taking a 304's headers (4.3.4).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import httpx


def directives(cache_control: str) -> dict[str, str]:
    pairs = (part.strip().partition("=") for part in cache_control.split(","))
    return {name.lower(): value.strip('"') for name, _, value in pairs if name}


@dataclass(frozen=True, slots=True)
class Stored:
    """One response as a cache stores it: the times it was asked and answered on the
    cache's clock, and the headers the arithmetic reads."""

    request_time: float
    response_time: float
    date_value: float
    age_value: float  # the Age header; 0 without one
    freshness_lifetime: float

    @classmethod
    def of(cls, headers: Mapping[str, str], request_time: float, response_time: float) -> Stored:
        date = parsedate_to_datetime(headers["date"]).timestamp()
        return cls(
            request_time, response_time, date, float(headers.get("age", 0)), _lifetime(headers)
        )

    def current_age(self, now: float) -> float:
        """RFC 9111 4.2.3, step by step."""
        apparent_age = max(0.0, self.response_time - self.date_value)
        response_delay = self.response_time - self.request_time
        corrected_age_value = self.age_value + response_delay
        corrected_initial_age = max(apparent_age, corrected_age_value)
        resident_time = now - self.response_time
        return corrected_initial_age + resident_time

    def is_fresh(self, now: float) -> bool:
        return self.freshness_lifetime > self.current_age(now)  # 4.2

    def fresh_until(self) -> float:
        """The moment on the cache's clock after which it must not use the response."""
        return self.response_time + self.freshness_lifetime - self.current_age(self.response_time)


def _lifetime(headers: Mapping[str, str]) -> float:
    """4.2.1, for a private cache: max-age, else Expires - Date, else none (no heuristic)."""
    found = directives(headers.get("cache-control", ""))
    if "no-store" in found or "no-cache" in found:
        return 0.0
    if "max-age" in found:
        return float(found["max-age"])
    return 0.0


@dataclass
class Entry:
    response: httpx.Response
    stored: Stored


class AgeAwareCache:
    """GETs through a private cache; `origin_requests` counts what reached the server."""

    def __init__(self, client: httpx.AsyncClient, clock: Callable[[], float] = time.time) -> None:
        self._client = client
        self._clock = clock
        self._entries: dict[str, Entry] = {}
        self.origin_requests = 0

    async def get(self, url: str) -> tuple[httpx.Response, bool]:
        """The response, and whether it came from the cache without asking the server."""
        entry = self._entries.get(url)
        if entry is not None and entry.stored.is_fresh(self._clock()):
            return entry.response, True
        headers = {}
        if entry is not None and "etag" in entry.response.headers:
            headers["if-none-match"] = entry.response.headers["etag"]
        request_time = self._clock()
        response = await self._client.get(url, headers=headers)
        response_time = self._clock()
        self.origin_requests += 1
        if response.status_code == 304 and entry is not None:
            merged = httpx.Headers(entry.response.headers)
            merged.update(response.headers)  # 4.3.4: the stored headers are replaced
            response = replace_headers(entry.response, merged)
        stored = Stored.of(response.headers, request_time, response_time)
        if response.status_code == 200 and stored.freshness_lifetime > 0:
            self._entries[url] = Entry(response, stored)
        return response, False

    def stored(self, url: str) -> Stored | None:
        entry = self._entries.get(url)
        return None if entry is None else entry.stored


def replace_headers(response: httpx.Response, headers: httpx.Headers) -> httpx.Response:
    return httpx.Response(response.status_code, headers=headers, content=response.content)
