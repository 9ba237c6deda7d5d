"""LOCAL_COPY_SHARED: writes are told on the copies channel unless it is off, or there are
no local copies to feed (LOCAL_COPY_SIZE=0)."""

from __future__ import annotations

import pytest

from adapters.memory.cache import MemoryCache
from adapters.memory.metrics import MemoryMetrics
from adapters.redis.keys import COPIES_CHANNEL
from entrypoints.settings import Settings
from entrypoints.wiring.copies import copies_channel, open_copies_feed
from tests.unit.fakes import FakeClock


@pytest.mark.parametrize(
    ("env", "channel"),
    [
        ({}, COPIES_CHANNEL),
        ({"LOCAL_COPY_SHARED": "false"}, ""),
        ({"LOCAL_COPY_SIZE": "0"}, ""),
        ({"LOCAL_COPY_SIZE": "1"}, COPIES_CHANNEL),
    ],
)
def test_writes_are_told_only_where_copies_are_shared_and_kept(
    env: dict[str, str], channel: str
) -> None:
    assert copies_channel(Settings.from_env(env)) == channel


async def test_without_redis_no_feed_is_opened() -> None:
    memory = MemoryCache(clock=FakeClock())
    feeds = open_copies_feed(None, memory, MemoryMetrics(), Settings.from_env({}))
    assert await anext(feeds) is None
    with pytest.raises(StopAsyncIteration):
        await anext(feeds)
