"""One write per response: what is written in one turn of the loop leaves as one write,
in order, and nothing is lost or written after the connection closed."""

from __future__ import annotations

import asyncio
from typing import Any

from entrypoints.http.serving.corked_transport import CorkedTransport


class Socket(asyncio.Transport):
    """The transport under the cork: every write it gets, and whether it is closed."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.events: list[str] = []
        self.closing = False

    def write(self, data: Any) -> None:
        self.writes.append(bytes(data))
        self.events.append("write")

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True
        self.events.append("close")

    def abort(self) -> None:
        self.closing = True
        self.events.append("abort")

    def get_write_buffer_size(self) -> int:
        return 0


def corked() -> tuple[CorkedTransport, Socket]:
    socket = Socket()
    return CorkedTransport(socket, asyncio.get_running_loop()), socket


async def test_the_writes_of_one_turn_leave_as_one_write_in_their_order() -> None:
    cork, socket = corked()
    cork.write(b"HTTP/1.1 200 OK\r\n\r\n")
    cork.write(memoryview(b"body"))
    assert socket.writes == [] and cork.get_write_buffer_size() == 23
    await asyncio.sleep(0)
    assert socket.writes == [b"HTTP/1.1 200 OK\r\n\r\nbody"]


async def test_writes_of_different_turns_leave_in_different_writes() -> None:
    cork, socket = corked()
    cork.write(b"first")
    await asyncio.sleep(0)
    cork.write(b"second")
    await asyncio.sleep(0)
    assert socket.writes == [b"first", b"second"]


async def test_closing_writes_what_is_held_first_and_only_once() -> None:
    cork, socket = corked()
    cork.write(b"answer")
    cork.close()
    await asyncio.sleep(0)
    assert socket.writes == [b"answer"] and socket.events == ["write", "close"]


async def test_nothing_is_written_once_the_peer_has_gone() -> None:
    cork, socket = corked()
    cork.write(b"answer")
    socket.closing = True  # the connection was lost before the turn ended
    await asyncio.sleep(0)
    assert socket.writes == []


async def test_aborting_drops_what_is_held() -> None:
    cork, socket = corked()
    cork.write(b"answer")
    cork.abort()
    await asyncio.sleep(0)
    assert socket.writes == [] and socket.events == ["abort"]
