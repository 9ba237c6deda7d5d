"""Open-Meteo's multi-location answers cut into one part per location, and put back together
byte for byte as Open-Meteo itself writes them.

JSON: one object for one location; for several, `[` + the objects joined by `,` + `]` (its
JsonWriter writes no whitespace). FlatBuffers: the messages one after another, each with a
4-byte little-endian size prefix, which is all the splitting needs: no message is decoded.
With several models, FlatBuffers holds one message per location and model (location
first), so one location's part is that many messages. Joining sets each location's
`location_id` for its place in the answer (open_meteo_wire_ids).
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from adapters.providers.open_meteo_wire_frames import (
    MAX_PART_BYTES,
    PREFIX_BYTES,
    WireError,
    bounded,
    checked,
    messages,
)
from adapters.providers.open_meteo_wire_ids import (
    LocationIdError,
    check_json,
    flatbuffers_with_id,
    json_with_id,
)
from domain.model.gateway import MAX_LOCATIONS_PER_CALL

__all__ = ["WireError", "join_flatbuffers", "join_json", "split_flatbuffers", "split_json"]
_OBJECT = dict[str, msgspec.Raw]
_ARRAY = list[msgspec.Raw]


def split_json(body: bytes, expected: int) -> list[bytes]:
    """Each location's object as the upstream wrote it, in the upstream's order."""
    _check_expected(body, expected)
    try:
        if expected == 1:
            msgspec.json.decode(body, type=_OBJECT)  # one object, not an array of one
            parts = [body.strip()]
        else:
            parts = [bytes(raw) for raw in msgspec.json.decode(body, type=_ARRAY)]
    except msgspec.DecodeError as e:
        raise WireError(f"not the JSON Open-Meteo sends for {expected} location(s): {e}") from e
    _check_count(len(parts), expected)
    for part in parts:
        if not part.startswith(b"{"):
            raise WireError("an element of the JSON array is not an object")
        bounded(part)
        checked(check_json, part)
    return parts


def join_json(parts: Sequence[bytes], *, single: bool) -> bytes:
    """The body Open-Meteo sends for these locations: the object itself for a one-location
    request (`single`), else an array, even of one (a request naming one point twice)."""
    if single and len(parts) != 1:
        raise WireError(f"a one-location answer needs one part, not {len(parts)}")
    try:
        numbered = [json_with_id(part, index) for index, part in enumerate(parts)]
    except LocationIdError as e:
        raise WireError(str(e)) from e
    return numbered[0] if single else b"[" + b",".join(numbered) + b"]"


def split_flatbuffers(body: bytes, expected: int, *, per_location: int = 1) -> list[bytes]:
    """Each location's message(s) with their size prefixes, in the upstream's order;
    `per_location` is the number of models asked for."""
    _check_expected(body, expected)
    found = messages(body, limit=expected * per_location)
    _check_count(len(found), expected * per_location)
    return [b"".join(found[at : at + per_location]) for at in range(0, len(found), per_location)]


def join_flatbuffers(parts: Sequence[bytes]) -> bytes:
    try:
        return b"".join(
            flatbuffers_with_id(message, index)
            for index, part in enumerate(parts)
            for message in messages(part, limit=MAX_LOCATIONS_PER_CALL)
        )
    except LocationIdError as e:
        raise WireError(str(e)) from e


def _check_expected(body: bytes, expected: int) -> None:
    if not 1 <= expected <= MAX_LOCATIONS_PER_CALL:
        raise WireError(f"{expected} locations in one call is out of bounds")
    if len(body) > expected * (MAX_PART_BYTES + PREFIX_BYTES) + 2:  # before decoding any of it
        raise WireError(f"{len(body)} bytes for {expected} location(s) is out of bounds")


def _check_count(found: int, expected: int) -> None:
    if found != expected:
        raise WireError(f"{found} locations in the answer, {expected} asked for")
