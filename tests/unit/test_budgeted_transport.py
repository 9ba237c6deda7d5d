"""BudgetedTransport: each HTTP request is paid for, at the priority of the fetch it serves."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest

from adapters.providers.budgeted_transport import WEIGHT, BudgetedTransport
from adapters.redis.shared_budget import SharedUpstreamBudget, SharedWindows
from adapters.upstream_call import carrying
from domain.model.admission import BudgetLimit, Priority, UpstreamCall
from domain.model.errors import UpstreamBudgetSpent
from tests.unit.fakes import FakeClock

PATHS = {"/v1/search": "open-meteo", "/v1/forecast": "open-meteo"}


class Upstream:
    """The far end: answers `status` and counts what reached it."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.status = 200

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return httpx.Response(self.status, json={})


async def get_each(
    client: httpx.AsyncClient, paths: list[str], call: UpstreamCall | None = None
) -> None:
    """GET each path in turn, for `call` (None: outside any fetch); a request the budget
    refuses is skipped."""
    extensions = carrying(call) if call is not None else {}
    for path in paths:
        with contextlib.suppress(UpstreamBudgetSpent):
            await client.get(path, extensions=extensions)


@pytest.fixture
def upstream() -> Upstream:
    return Upstream()


@pytest.fixture
def budget(clock: FakeClock) -> SharedUpstreamBudget:
    limits = {"open-meteo": (BudgetLimit(10, 60.0, "minute"),)}
    return SharedUpstreamBudget(limits, SharedWindows(), clock)


@pytest.fixture
async def client(
    upstream: Upstream, budget: SharedUpstreamBudget
) -> AsyncIterator[httpx.AsyncClient]:
    transport = BudgetedTransport(httpx.MockTransport(upstream), budget, PATHS)
    async with httpx.AsyncClient(transport=transport, base_url="http://upstream") as client:
        yield client


async def test_ten_a_minute_means_ten_http_requests_whatever_their_endpoint(
    upstream: Upstream, client: httpx.AsyncClient
) -> None:
    await get_each(client, ["/v1/forecast", "/v1/search"] * 10, UpstreamCall(Priority.REFRESH))
    await client.get("/healthz-of-someone-else")  # not an upstream: not counted

    assert len(upstream.paths) == 11
    assert upstream.paths.count("/healthz-of-someone-else") == 1


async def test_requests_are_paid_at_the_priority_of_their_fetch(
    upstream: Upstream, client: httpx.AsyncClient
) -> None:
    await get_each(client, ["/v1/search"] * 10)  # outside any fetch: a name never seen
    assert len(upstream.paths) == 8
    known = carrying(UpstreamCall(Priority.KNOWN))
    await client.get("/v1/forecast", extensions=known)
    with pytest.raises(UpstreamBudgetSpent):
        await client.get("/v1/forecast", extensions=known)


async def test_each_request_sent_is_counted_in_its_call_and_a_refused_one_is_not(
    upstream: Upstream, client: httpx.AsyncClient
) -> None:
    call = UpstreamCall(Priority.REFRESH)
    await get_each(client, ["/v1/forecast"] * 10, call)  # 10 of 10: just inside
    assert call.sent == 10
    await get_each(client, ["/v1/forecast"], call)  # just outside: refused, never sent
    assert call.sent == 10
    await client.get("/healthz-of-someone-else", extensions=carrying(call))  # not budgeted
    assert call.sent == 10
    assert len(upstream.paths) == 11


async def test_a_probe_that_is_answered_reopens_a_closed_upstream(
    upstream: Upstream, client: httpx.AsyncClient, budget: SharedUpstreamBudget, clock: FakeClock
) -> None:
    await budget.close("open-meteo", until=clock.now() + 86_400)
    with pytest.raises(UpstreamBudgetSpent):
        await client.get("/v1/forecast")
    clock.advance(600)
    upstream.status = 429
    await client.get("/v1/forecast")  # the probe, refused again: still closed
    with pytest.raises(UpstreamBudgetSpent):
        await client.get("/v1/forecast")
    clock.advance(600)
    upstream.status = 200
    await client.get("/v1/forecast")  # the next probe is answered
    await client.get("/v1/forecast")

    assert len(upstream.paths) == 3


async def test_a_base_url_with_a_path_of_its_own_is_still_counted(
    upstream: Upstream, client: httpx.AsyncClient
) -> None:
    await get_each(client, ["/proxy/open-meteo/v1/forecast"] * 12, UpstreamCall(Priority.REFRESH))

    assert len(upstream.paths) == 10


async def weighed(client: httpx.AsyncClient, weight: float) -> bool:
    """Whether a refresh's call of `weight` was let through."""
    extensions = carrying(UpstreamCall(Priority.REFRESH), {WEIGHT: weight})
    try:
        await client.get("/v1/forecast", extensions=extensions)
    except UpstreamBudgetSpent:
        return False
    return True


async def test_a_weighted_call_spends_its_weight_rounded_up(
    upstream: Upstream, client: httpx.AsyncClient
) -> None:
    assert await weighed(client, 2.5)  # 3 of 10
    assert await weighed(client, 7.0)  # 10 of 10: just inside
    assert not await weighed(client, 1.0)  # just outside
    assert len(upstream.paths) == 2


async def test_a_call_heavier_than_the_window_is_refused_and_sends_nothing(
    upstream: Upstream, client: httpx.AsyncClient
) -> None:
    assert not await weighed(client, 10.5)
    assert await weighed(client, 10.0)
    assert len(upstream.paths) == 1
