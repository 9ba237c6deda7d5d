"""The gateway part envelope across a rolling upgrade: fences travel as a trailing field."""

from __future__ import annotations

import msgspec

from adapters.redis.gateway_envelope import decode_part, encode_part
from domain.model.gateway_part import StoredPart

# The envelope as the version before fences wrote and read it.
_FIELDS = ["fetched_ms", "fresh_ms", "stale_ms", "provider", "status", "body"]
_TYPES = [int, int, int, str, int, bytes]
_BeforeFences = msgspec.defstruct(
    "BeforeFences", list(zip(_FIELDS, _TYPES, strict=True)), array_like=True, tag=1
)


def part(fence: int = 0) -> StoredPart:
    return StoredPart(
        body=b"\x10\x00\x00\x00fb",
        fetched_at=1_765_000_000.5,
        fresh_until=1_765_000_900.5,
        stale_until=1_765_086_400.5,
        provider="open-meteo",
        fence=fence,
    )


def test_a_fenced_part_comes_back_with_its_fence() -> None:
    fenced = part(fence=1_765_000_000_123)
    assert decode_part(encode_part(fenced)) == fenced


def test_a_part_without_a_fence_is_encoded_as_before_fences() -> None:
    before = _BeforeFences(
        1_765_000_000_500, 900_000, 86_400_000, "open-meteo", 200, b"\x10\x00\x00\x00fb"
    )
    assert encode_part(part()) == msgspec.msgpack.encode(before)
    assert decode_part(msgspec.msgpack.encode(before)) == part()  # read with fence 0


def test_the_version_before_fences_reads_a_fenced_part() -> None:
    old = msgspec.msgpack.decode(encode_part(part(fence=7)), type=_BeforeFences)
    assert (old.body, old.fetched_ms, old.provider) == (
        b"\x10\x00\x00\x00fb",
        1_765_000_000_500,
        "open-meteo",
    )
