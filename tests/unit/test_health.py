"""CheckHealth: the shared cache counts as up only when it is shared and answers."""

from __future__ import annotations

from adapters.memory.cache import MemoryCache
from domain.use_cases.health import CheckHealth, Health
from tests.unit.fakes import FakeClock, FakeProvider


class SilentCache(MemoryCache):
    """A shared cache that has stopped answering."""

    async def ping(self) -> bool:
        return False


async def test_a_shared_cache_that_answers_is_reported_up() -> None:
    check = CheckHealth(
        MemoryCache(clock=FakeClock()), FakeProvider(), cache_kind="redis", shared=True
    )
    assert await check() == Health(shared_cache_ok=True, provider_ok=True, cache="redis")


async def test_a_shared_cache_that_does_not_answer_is_reported_down() -> None:
    check = CheckHealth(
        SilentCache(clock=FakeClock()), FakeProvider(), cache_kind="redis", shared=True
    )
    assert (await check()).shared_cache_ok is False


async def test_a_process_own_cache_is_never_reported_as_a_shared_one() -> None:
    check = CheckHealth(
        MemoryCache(clock=FakeClock()), FakeProvider(), cache_kind="memory", shared=False
    )
    assert await check() == Health(shared_cache_ok=False, provider_ok=True, cache="memory")
