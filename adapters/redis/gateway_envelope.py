"""The gateway store's wire format: a compact msgpack envelope around the upstream's bytes."""

from __future__ import annotations

import msgspec

from domain.model.gateway_part import MAX_PART_BYTES, StoredPart


# array_like: fields by position. tag=1 leads the envelope, so another version (or a
# weather entry's envelope) fails to decode and is treated as a miss.
class _PartV1(msgspec.Struct, array_like=True, tag=1):
    """Times in whole milliseconds; fresh and stale ends relative to the fetch."""

    fetched_ms: int
    fresh_ms: int
    stale_ms: int
    provider: str
    status: int
    body: bytes


class _FencedPartV1(_PartV1, tag=1):
    """`fence` came later, as a trailing field with a default: envelopes without it decode
    with fence 0, and the version before reads these (msgspec drops trailing fields a
    struct does not have). It is the envelope's 8th element, after the body, where the
    store's write script (gateway_fence.py) finds it; parts with fence 0 are encoded
    without it, byte for byte as before."""

    fence: int = 0


_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(_FencedPartV1)


def encode_part(part: StoredPart) -> bytes:
    fetched = round(part.fetched_at * 1000)
    fields = (
        fetched,
        round(part.fresh_until * 1000) - fetched,
        round(part.stale_until * 1000) - fetched,
        part.provider,
        part.status,
        part.body,
    )
    if part.fence:
        return _encoder.encode(_FencedPartV1(*fields, part.fence))
    return _encoder.encode(_PartV1(*fields))


def decode_part(raw: bytes) -> StoredPart:
    """Raises msgspec.DecodeError for anything but a v1 part envelope within bounds."""
    env = _decoder.decode(raw)
    if len(env.body) > MAX_PART_BYTES:
        raise msgspec.DecodeError("a gateway part above its size bound")
    return StoredPart(
        body=env.body,
        fetched_at=env.fetched_ms / 1000,
        fresh_until=(env.fetched_ms + env.fresh_ms) / 1000,
        stale_until=(env.fetched_ms + env.stale_ms) / 1000,
        provider=env.provider,
        status=env.status,
        fence=env.fence,
    )
