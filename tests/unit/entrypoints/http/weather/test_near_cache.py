"""The near cache, with a fake wall clock."""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain.model.outcome import CacheOutcome
from entrypoints.http.weather.near_cache import NearCache
from entrypoints.http.weather.rendered import render
from tests.unit.entrypoints.http.weather.near_answers import (
    ANSWER,
    BODY,
    RESULT,
    SAN_JOSE,
    WallClock,
    answer_fresh_for,
)


def body_of(near: NearCache, query: bytes) -> bytes | None:
    """The body a plain GET of `query` is answered with from the near cache, or None."""
    found = near.answer(query, [])
    return None if found is None else found[1]["body"]


def test_an_entry_is_served_until_its_ttl_then_forgotten(near: NearCache, clock: WallClock) -> None:
    near.put(SAN_JOSE, ANSWER)
    clock.advance(0.99)
    assert body_of(near, SAN_JOSE) == BODY
    clock.advance(0.01)
    assert body_of(near, SAN_JOSE) is None
    assert len(near) == 0


def test_an_entry_never_outlives_the_freshness_it_was_stored_with(
    near: NearCache, clock: WallClock
) -> None:
    near.put(SAN_JOSE, answer_fresh_for(0.2))
    clock.advance(0.19)
    assert body_of(near, SAN_JOSE) is not None
    clock.advance(0.01)
    assert body_of(near, SAN_JOSE) is None


def test_an_entry_with_no_freshness_left_or_a_stale_one_is_not_stored(near: NearCache) -> None:
    near.put(SAN_JOSE, answer_fresh_for(0))
    near.keep(b"city=Boise", replace(RESULT, outcome=CacheOutcome.STALE), ANSWER)
    near.put(b"city=Paris", render(replace(RESULT, outcome=CacheOutcome.STALE)))
    assert len(near) == 0


def test_the_cache_holds_at_most_max_items_and_evicts_the_least_recently_used(
    near: NearCache,
) -> None:
    for query in (b"city=a", b"city=b", b"city=c"):
        near.put(query, ANSWER)
    assert body_of(near, b"city=a") is not None  # a is now the most recently used
    near.put(b"city=d", ANSWER)
    assert len(near) == 3
    assert body_of(near, b"city=b") is None
    assert all(body_of(near, q) is not None for q in (b"city=a", b"city=c", b"city=d"))


@pytest.mark.parametrize(("ttl_s", "max_items"), [(0, 4096), (1.0, 0)])
def test_a_zero_ttl_or_size_disables_the_cache(ttl_s: float, max_items: int) -> None:
    near = NearCache(ttl_s=ttl_s, max_items=max_items)
    near.put(SAN_JOSE, ANSWER)
    assert not near.enabled
    assert body_of(near, SAN_JOSE) is None


def test_a_hit_sends_what_any_other_send_of_the_answer_would(
    near: NearCache, clock: WallClock
) -> None:
    near.put(SAN_JOSE, ANSWER)
    found = near.answer(SAN_JOSE, [])
    assert found is not None
    assert found == ANSWER.messages([], b"HIT", clock())


def test_hits_in_one_second_share_one_start_message_and_the_next_second_gets_its_own(
    clock: WallClock,
) -> None:
    near = NearCache(ttl_s=5.0, clock=clock)
    near.put(SAN_JOSE, ANSWER)
    first, again = near.answer(SAN_JOSE, []), near.answer(SAN_JOSE, [])
    assert first is not None and again is not None
    assert first[0] is again[0]  # built once for the second, not per hit
    clock.advance(1.0)
    later = near.answer(SAN_JOSE, [])
    assert later is not None and later[0] is not first[0]
    assert later == ANSWER.messages([], b"HIT", clock())
    assert later[0]["headers"] != first[0]["headers"]  # this second's Date
