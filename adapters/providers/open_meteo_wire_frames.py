"""The framing both wire formats share: the bounds, the error, and FlatBuffers' size-prefixed
messages one after another (read by their prefixes alone: no message is decoded)."""

from __future__ import annotations

from collections.abc import Callable

from adapters.providers.open_meteo_wire_ids import LocationIdError, check_flatbuffers

MAX_PART_BYTES = 16 * 1024 * 1024  # one location: 108 days x 24 h x 200 variables is ~4 MB
PREFIX_BYTES = 4


class WireError(ValueError):
    """A body that does not hold exactly the expected well-formed parts, or too large ones.
    The upstream adapter turns it into the domain's unusable-answer error."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def messages(body: bytes, *, limit: int) -> list[bytes]:
    """The size-prefixed messages `body` holds, at most `limit` of them."""
    found: list[bytes] = []
    at = 0
    while at < len(body):
        if len(found) == limit:
            raise WireError(f"more than {limit} FlatBuffers messages")
        message = message_at(body, at)
        found.append(message)
        at += len(message)
    return found


def message_at(body: bytes, at: int) -> bytes:
    if len(body) - at < PREFIX_BYTES:
        raise WireError("a FlatBuffers message is cut short in its size prefix")
    size = int.from_bytes(body[at : at + PREFIX_BYTES], "little")
    if size < PREFIX_BYTES or size > MAX_PART_BYTES:
        raise WireError(f"a FlatBuffers message of {size} bytes is out of bounds")
    end = at + PREFIX_BYTES + size
    if end > len(body):
        raise WireError("a FlatBuffers message is cut short")
    root = int.from_bytes(body[at + PREFIX_BYTES : at + 2 * PREFIX_BYTES], "little")
    if root >= size:  # the root table's offset must point inside the message
        raise WireError("a FlatBuffers message's root lies outside it")
    message = body[at:end]
    checked(check_flatbuffers, message)
    return message


def checked(check: Callable[[bytes], None], part: bytes) -> None:
    try:
        check(part)
    except LocationIdError as e:
        raise WireError(str(e)) from e


def bounded(part: bytes) -> bytes:
    if len(part) > MAX_PART_BYTES:
        raise WireError(f"one location's answer exceeds {MAX_PART_BYTES} bytes")
    return part
