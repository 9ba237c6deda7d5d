"""Open-loop load: requests leave at a fixed rate whether or not earlier ones have been
answered (a closed loop would slow down with the service and hide its stalls), spread over
the instances as a load balancer would, and each answer's outcome kept."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass

import httpx

from bench.soak.mix import Request, next_request

NO_ANSWER = 0  # neither instance answered (both down, or a transport error on each)
SHED = -1  # the client's own cap on requests in flight: the service fell far behind
IN_FLIGHT_CAP = 400
RETRYABLE = (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError)


@dataclass(frozen=True, slots=True)
class Outcome:
    """`detail`: X-Cache of a 2xx/304, else the JSON error code; `items`: a batch's
    per-city statuses; `rerouted`: the first instance refused, the other answered;
    `fetched`: per key of the request, when the weather answered was fetched (its
    arrival less its `age_seconds`), None where no weather came back."""

    at: float
    request: Request
    status: int
    detail: str = ""
    items: tuple[int, ...] = ()
    rerouted: bool = False
    fetched: tuple[float | None, ...] = ()


class Driver:
    def __init__(self, urls: list[str], *, rate: float, seed: int = 1) -> None:
        self._urls = urls
        self._rate = rate
        self._rng = random.Random(seed)
        self._etags: dict[str, str] = {}
        self._in_flight = 0
        self.outcomes: list[Outcome] = []

    async def run(self, seconds: float) -> list[Outcome]:
        limits = httpx.Limits(max_connections=IN_FLIGHT_CAP, max_keepalive_connections=64)
        async with httpx.AsyncClient(timeout=20, limits=limits) as client:
            tasks: set[asyncio.Task[None]] = set()
            loop = asyncio.get_running_loop()
            start = loop.time()
            for serial in range(round(seconds * self._rate)):
                await asyncio.sleep(max(start + serial / self._rate - loop.time(), 0.0))
                request = next_request(self._rng, serial)
                if self._in_flight >= IN_FLIGHT_CAP:
                    self.outcomes.append(Outcome(time.time(), request, SHED))
                    continue
                task = asyncio.create_task(self._send(client, request, serial))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            await asyncio.gather(*tasks)
        return self.outcomes

    async def _send(self, client: httpx.AsyncClient, request: Request, serial: int) -> None:
        self._in_flight += 1
        sent = time.time()
        try:
            first = serial % len(self._urls)
            order = self._urls[first:] + self._urls[:first]
            for attempt, url in enumerate(order):
                try:
                    response = await self._call(client, url, request)
                except RETRYABLE:
                    continue
                self.outcomes.append(_outcome(sent, time.time(), request, response, attempt > 0))
                self._keep_etag(request, response)
                return
            self.outcomes.append(Outcome(sent, request, NO_ANSWER))
        except httpx.HTTPError as error:  # a timeout: no answer within the client's 20 s
            self.outcomes.append(Outcome(sent, request, NO_ANSWER, type(error).__name__))
        finally:
            self._in_flight -= 1

    async def _call(self, client: httpx.AsyncClient, url: str, request: Request) -> httpx.Response:
        headers = {}
        if request.conditional and request.path in self._etags:
            headers["if-none-match"] = self._etags[request.path]
        if request.method == "POST":
            headers["content-type"] = "application/json"
        return await client.request(
            request.method, url + request.path, content=request.body, headers=headers
        )

    def _keep_etag(self, request: Request, response: httpx.Response) -> None:
        etag = response.headers.get("etag")
        if response.status_code == 200 and etag and request.method == "GET":
            self._etags[request.path] = etag


def _outcome(
    sent: float, received: float, request: Request, response: httpx.Response, rerouted: bool
) -> Outcome:
    status = response.status_code
    if request.kind == "batch" and status == 200:
        results = response.json()["results"]
        items = tuple(item["status"] for item in results)
        fetched = tuple(_fetched(received, item.get("weather")) for item in results)
        return Outcome(sent, request, status, "batch", items, rerouted, fetched)
    if status == 200:
        cache = response.headers.get("x-cache", "")
        fetched = (_fetched(received, response.json()),) * len(request.keys)
        return Outcome(sent, request, status, cache, (), rerouted, fetched)
    if status < 400:
        return Outcome(sent, request, status, response.headers.get("x-cache", ""), (), rerouted)
    try:
        code = str(response.json().get("error", ""))
    except ValueError:
        code = "not json"
    return Outcome(sent, request, status, code, (), rerouted)


def _fetched(received: float, weather: dict[str, object] | None) -> float | None:
    """Taken from the answer's arrival, its age rounded down, and a near hit's age that of
    its copy: never earlier than the real fetch, so a city never looks cached for longer
    than it was (later by the answer's way back and a second or two; docs/SOAK.md)."""
    age = weather.get("age_seconds") if weather else None
    return received - age if isinstance(age, int) else None
