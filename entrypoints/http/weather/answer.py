"""A rendered /weather answer sent over ASGI: by the route, through Litestar."""

from __future__ import annotations

import time

from litestar.types import Receive, Scope, Send

from domain.model.outcome import WeatherResult
from entrypoints.http.weather.rendered import Rendered


async def send_answer(scope: Scope, send: Send, result: WeatherResult, answer: Rendered) -> None:
    """The answer to a request for `result`, rendered as `answer`."""
    x_cache = result.outcome.value.encode()
    head, body = answer.messages(scope["headers"], x_cache, time.time())
    await send(head)
    await send(body)


class WeatherAnswer:
    """One rendered answer as an ASGI app: what the route returns to Litestar to send."""

    __slots__ = ("_answer", "_result")

    def __init__(self, result: WeatherResult, answer: Rendered) -> None:
        self._result = result
        self._answer = answer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send_answer(scope, send, self._result, self._answer)
