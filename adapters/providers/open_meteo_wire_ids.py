"""Each location's `location_id`, set for its place in the assembled answer.

Open-Meteo numbers the locations of one call (0, 1, 2, ...) and writes the number into
each location's answer: in JSON as `"location_id":N` after the header (left out for 0), in
FlatBuffers as WeatherApiResponse's int64 field 4. A cached part came from some other call,
where it had some other place, so the number is rewritten for its place in this answer.
The gateway asks upstream with `location_id` set for every point, so that every FlatBuffers
message carries the field and it can be set in place. For place 0, Open-Meteo's builder
leaves the field out: its vtable entry is set to 0, so the field is absent as there (its
8 bytes stay in the table, unread: docs/GATEWAY.md, "The wire formats")."""

from __future__ import annotations

import re

_HEADER_LIMIT = 2048  # the header is ~200 bytes; the timezone name is bounded upstream
_JSON_HEADER = re.compile(
    rb'"timezone_abbreviation":"[^"]{0,64}"(?:,"elevation":[-+.0-9eE]{1,32})?'
)
# Looked for anywhere in the header (before the first section), should Open-Meteo move it.
_JSON_ID = re.compile(rb',"location_id":-?[0-9]{1,19}')
_SECTIONS = b'_units":'
_LOCATION_ID_SLOT = 4  # WeatherApiResponse.location_id (vtable offset 12)
_PREFIX = 4


class LocationIdError(ValueError):
    """The part is not shaped as Open-Meteo writes one location's answer."""


def check_json(part: bytes) -> None:
    """Refuses, before anything is cached, a part that could not be numbered later."""
    _json_header(part)


def check_flatbuffers(message: bytes) -> None:
    _slot(message, _LOCATION_ID_SLOT)


def json_with_id(part: bytes, index: int) -> bytes:
    header = _json_header(part)
    end = part.find(_SECTIONS, header.end(), _HEADER_LIMIT)
    number = b',"location_id":%d' % index if index else b""
    found = _JSON_ID.search(part, 0, end if end >= 0 else _HEADER_LIMIT)
    if found is not None:
        return part[: found.start()] + number + part[found.end() :]
    return part[: header.end()] + number + part[header.end() :]


def _json_header(part: bytes) -> re.Match[bytes]:
    found = _JSON_HEADER.search(part, 0, _HEADER_LIMIT)
    if found is None:
        raise LocationIdError("a JSON part without Open-Meteo's header")
    return found


def flatbuffers_with_id(message: bytes, index: int) -> bytes:
    """`message` (size prefix included) with its root table's location_id set to `index`;
    for 0, the field is taken out of the root's own vtable: absent, as Open-Meteo sends it."""
    slot = _slot(message, _LOCATION_ID_SLOT)
    if slot is None:
        if index == 0:
            return message  # absent is 0 already
        raise LocationIdError("a FlatBuffers message without a location_id field to set")
    entry, at, own_vtable = slot
    if index == 0 and own_vtable:
        return message[:entry] + b"\0\0" + message[entry + 2 :]
    return message[:at] + index.to_bytes(8, "little", signed=True) + message[at + 8 :]


def _slot(message: bytes, slot: int) -> tuple[int, int, bool] | None:
    """Where a root-table scalar's vtable entry and value live, and whether the vtable is
    the root's alone: table = prefix + root offset; its vtable lies `soffset` before it.
    A builder writes the root last, its vtable just before it unless it reuses an earlier
    (identical) one, which lies after the table and may serve other tables too."""
    table = _PREFIX + _u32(message, _PREFIX)
    soffset = _i32(message, table)
    vtable = table - soffset
    entry = vtable + 4 + 2 * slot
    if not _PREFIX <= vtable <= len(message) - 4:
        raise LocationIdError("a FlatBuffers vtable outside its message")
    if 4 + 2 * slot >= _u16(message, vtable):
        return None
    offset = _u16(message, entry)
    if offset == 0:
        return None
    if table + offset + 8 > len(message):
        raise LocationIdError("a FlatBuffers field outside its message")
    return entry, table + offset, soffset > 0


def _u16(data: bytes, at: int) -> int:
    return _read(data, at, 2, signed=False)


def _u32(data: bytes, at: int) -> int:
    return _read(data, at, 4, signed=False)


def _i32(data: bytes, at: int) -> int:
    return _read(data, at, 4, signed=True)


def _read(data: bytes, at: int, size: int, *, signed: bool) -> int:
    if at < 0 or at + size > len(data):
        raise LocationIdError("a FlatBuffers offset outside its message")
    return int.from_bytes(data[at : at + size], "little", signed=signed)
