"""What the copies channel carries: a weather key's name, then the envelope written, if any.

The write script builds it by concatenation (`KEYS[1] .. ARGV[1]`, cache.py), so nothing is
encoded twice and the message costs the key's name more than the write itself. A name with
nothing after it is a purge. Names hold the city's key between the first `{` and `}` (city
keys never hold braces: keys.py), so the envelope's own bytes can never be mistaken for it.
"""

from __future__ import annotations

from adapters.redis.envelope import decode_entry
from adapters.redis.keys import weather_key
from domain.model.entry import CacheEntry

# Far above any envelope Skycache writes (about 200 bytes a city: docs/BENCHMARKS.md); a
# larger message is not ours, and is dropped before it is decoded.
MAX_COPY_MESSAGE_BYTES = 8192

_HEAD, _, _TAIL = weather_key("\0").partition("\0")
_HEAD_BYTES, _TAIL_BYTES = _HEAD.encode(), _TAIL.encode()


class NotACopy(ValueError):
    """A message that is not a copy of ours: too large, another shape, or undecodable."""


def read_copy(message: bytes) -> tuple[str, CacheEntry | None]:
    """The city's key and the entry written (None: purged); NotACopy for anything else."""
    if len(message) > MAX_COPY_MESSAGE_BYTES:
        raise NotACopy(f"{len(message)} bytes, over {MAX_COPY_MESSAGE_BYTES}")
    end = message.find(_TAIL_BYTES)
    if not message.startswith(_HEAD_BYTES) or end <= len(_HEAD_BYTES):
        raise NotACopy("not a weather key's name")
    try:
        key = message[len(_HEAD_BYTES) : end].decode()
        envelope = message[end + len(_TAIL_BYTES) :]
        return key, decode_entry(envelope) if envelope else None
    except ValueError as error:  # UnicodeDecodeError and msgspec.DecodeError alike
        raise NotACopy(str(error)) from error
