"""A tiny PNG reader (8-bit RGB or RGBA, not interlaced): enough to tell a blank screenshot."""

from __future__ import annotations

import struct
import zlib
from collections import Counter
from pathlib import Path

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CHANNELS = {2: 3, 6: 4}  # colour type -> bytes a pixel


def pixels(path: Path) -> tuple[int, int, list[bytes]]:
    """Width, height and the pixels (each `channels` bytes), row after row."""
    data = path.read_bytes()
    assert data.startswith(_SIGNATURE), f"{path} is not a PNG"
    at, idat, header = len(_SIGNATURE), bytearray(), b""
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        at += 12 + length
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in _CHANNELS and not interlace, "an unsupported PNG kind"
    size = _CHANNELS[colour]
    rows = _unfilter(zlib.decompress(bytes(idat)), width * size, height, size)
    return width, height, [row[i : i + size] for row in rows for i in range(0, len(row), size)]


def _unfilter(raw: bytes, stride: int, height: int, size: int) -> list[bytes]:
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        kind, line = (
            raw[y * (stride + 1)],
            bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)]),
        )
        for x in range(stride):
            left = line[x - size] if x >= size else 0
            up, up_left = previous[x], previous[x - size] if x >= size else 0
            line[x] = (line[x] + _predict(kind, left, up, up_left)) & 0xFF
        rows.append(bytes(line))
        previous = line
    return rows


def _predict(kind: int, left: int, up: int, up_left: int) -> int:
    if kind == 0:
        return 0
    if kind == 1:
        return left
    if kind == 2:
        return up
    if kind == 3:
        return (left + up) // 2
    guess = left + up - up_left  # Paeth
    distances = (abs(guess - left), abs(guess - up), abs(guess - up_left))
    return (left, up, up_left)[distances.index(min(distances))]


def colour_spread(path: Path) -> tuple[int, float]:
    """How many distinct colours, and the share of pixels not of the commonest one."""
    _, _, all_pixels = pixels(path)
    counts = Counter(all_pixels)
    background = counts.most_common(1)[0][1]
    return len(counts), 1 - background / len(all_pixels)
