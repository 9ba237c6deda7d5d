"""What every fake API shares: a raw ASGI app with its own routes, steered over HTTP, that
answers JSON."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar
from urllib.parse import parse_qs

import msgspec


class Steerable(Protocol):
    def apply(self, control: Any) -> None: ...
    def view(self) -> dict[str, Any]: ...


S = TypeVar("S", bound=Steerable)
Route = Callable[[S, dict[str, str], Any], Awaitable[None]]
Headers = Sequence[tuple[bytes, bytes]]


@dataclass
class FakeUpstream(Generic[S]):
    """A fake API as a raw ASGI app: its own `routes`, and the routes that steer it, the
    same on every fake: GET /_calls and /_state, POST /_reset and /_control (a JSON
    `control`, a 400 shaped by `error` when it does not decode); `not_found` for the rest."""

    fresh: Callable[[], S]
    control: type[Any]
    routes: dict[tuple[str, str], Route[S]]
    error: Callable[[str], Any]
    not_found: Any
    state: S = field(init=False)

    def __post_init__(self) -> None:
        self.state = self.fresh()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        route = (scope["method"], scope["path"])
        query = {k: v[-1] for k, v in parse_qs(scope["query_string"].decode()).items()}
        if (serve := self.routes.get(route)) is not None:
            await serve(self.state, query, send)
        elif not await self._steer(route, receive, send):
            await reply(send, 404, self.not_found)

    async def _steer(self, route: tuple[str, str], receive: Any, send: Any) -> bool:
        if route == ("GET", "/_calls"):
            await reply(send, 200, self.state.view()["calls"])
        elif route == ("GET", "/_places"):
            await reply(send, 200, dict(getattr(self.state, "places", {})))
        elif route == ("GET", "/_forecasts"):
            await reply(send, 200, list(getattr(self.state, "forecasts", ())))
        elif route == ("GET", "/_state"):
            await reply(send, 200, self.state.view())
        elif route == ("POST", "/_reset"):
            self.state = self.fresh()  # requests in flight keep the old one
            await reply(send, 200, self.state.view())
        elif route == ("POST", "/_control"):
            await self._apply(await read_body(receive), send)
        else:
            return False
        return True

    async def _apply(self, body: bytes, send: Any) -> None:
        try:
            self.state.apply(msgspec.json.decode(body, type=self.control))
        except msgspec.DecodeError as e:
            await reply(send, 400, self.error(str(e)))
            return
        await reply(send, 200, self.state.view())


async def read_body(receive: Any) -> bytes:
    """The whole request body, however many ASGI messages it came in."""
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def reply(send: Any, status: int, doc: Any, extra: Headers = ()) -> None:
    """`doc` as JSON."""
    await reply_bytes(send, status, msgspec.json.encode(doc), extra)


async def reply_bytes(send: Any, status: int, body: bytes, extra: Headers = ()) -> None:
    """`body` as it is, said to be JSON (whether it is or not)."""
    length = (b"content-length", str(len(body)).encode())
    headers = [(b"content-type", b"application/json; charset=utf-8"), length, *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
