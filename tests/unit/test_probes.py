"""/livez and /readyz in-process: what they answer, that they are never cached,
and how SIGTERM reaches uvicorn through the readiness switch."""

from __future__ import annotations

import asyncio
import re
import signal
from collections.abc import AsyncIterator, Iterator

import pytest
import uvicorn
from litestar.testing import AsyncTestClient

from entrypoints.http.probes.drain_signal import drain_on_sigterm
from entrypoints.http.probes.routes import READINESS_KEY, Phase, Readiness
from entrypoints.settings import Settings, SettingsError
from tests.support.app_client import memory_app_client
from tests.unit.fakes import FakeProvider


@pytest.fixture
async def client() -> AsyncIterator[AsyncTestClient]:
    async with memory_app_client(provider=FakeProvider()) as test_client:
        yield test_client


async def test_the_probes_answer_200_uncached(client: AsyncTestClient) -> None:
    # That RATE_LIMIT never counts them is the limiter's, in front of this app:
    # tests/unit/test_client_limits.py (its unlimited paths).
    for _ in range(5):
        live = await client.get("/livez")
        ready = await client.get("/readyz")
        assert (live.status_code, live.json()) == (200, {"status": "alive"})
        assert (ready.status_code, ready.json()) == (200, {"status": "ready"})
        assert live.headers["cache-control"] == ready.headers["cache-control"] == "no-store"


async def test_readyz_is_503_while_draining_and_livez_stays_200(client: AsyncTestClient) -> None:
    client.app.state[READINESS_KEY].drain()
    ready = await client.get("/readyz")
    assert (ready.status_code, ready.json()) == (503, {"status": "draining"})
    assert ready.headers["cache-control"] == "no-store"
    assert (await client.get("/livez")).status_code == 200


async def test_the_probes_are_in_the_schema_with_readyz_s_503(client: AsyncTestClient) -> None:
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    assert set(paths["/livez"]["get"]["responses"]) == {"200"}
    assert set(paths["/readyz"]["get"]["responses"]) == {"200", "503"}


def test_a_readiness_that_never_served_stays_starting_until_its_services_open() -> None:
    readiness = Readiness()
    assert readiness.phase is Phase.STARTING
    readiness.serving()
    readiness.drain()
    readiness.serving()  # a late start-up step cannot undo a drain
    assert readiness.phase is Phase.DRAINING


@pytest.fixture
def uvicorn_handling_sigterm() -> Iterator[uvicorn.Server]:
    server = uvicorn.Server(uvicorn.Config(app=None))
    previous = signal.signal(signal.SIGTERM, server.handle_exit)
    try:
        yield server
    finally:
        signal.signal(signal.SIGTERM, previous)


async def test_sigterm_drains_readiness_at_once_and_reaches_uvicorn_after_the_delay(
    uvicorn_handling_sigterm: uvicorn.Server,
) -> None:
    server = uvicorn_handling_sigterm
    readiness = Readiness()
    readiness.serving()
    with drain_on_sigterm(readiness, 0.3):
        signal.raise_signal(signal.SIGTERM)
        signal.raise_signal(signal.SIGTERM)  # the supervisor's copy changes nothing
        await asyncio.sleep(0)
        assert readiness.phase is Phase.DRAINING
        assert not server.should_exit  # still listening: balancers see the 503 first
        for _ in range(50):
            if server.should_exit:
                break
            await asyncio.sleep(0.05)
        assert server.should_exit
    assert signal.getsignal(signal.SIGTERM) == server.handle_exit
    assert server._captured_signals == [signal.SIGTERM]


async def test_outside_uvicorn_the_process_signal_handlers_are_left_alone() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with drain_on_sigterm(Readiness(), 0.1):
        assert signal.getsignal(signal.SIGTERM) is before


@pytest.mark.parametrize("given", ["0", "60"])
def test_shutdown_delay_is_accepted_from_0_to_60_seconds(given: str) -> None:
    assert Settings.from_env({"SHUTDOWN_DELAY": given}).shutdown_delay_s == float(given)


@pytest.mark.parametrize(
    ("given", "complaint"),
    [
        ("-0.1", "SHUTDOWN_DELAY='-0.1' must be at least 0"),
        ("60.5", "SHUTDOWN_DELAY must be at most 60"),
        ("inf", "SHUTDOWN_DELAY='inf' must be a finite number"),
        ("soon", "SHUTDOWN_DELAY='soon' is not a number"),
    ],
)
def test_a_shutdown_delay_outside_0_to_60_stops_start_up_naming_it(
    given: str, complaint: str
) -> None:
    with pytest.raises(SettingsError, match=re.escape(complaint)):
        Settings.from_env({"SHUTDOWN_DELAY": given})
