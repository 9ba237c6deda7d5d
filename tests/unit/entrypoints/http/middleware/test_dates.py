"""Every answer leaves with one Date, from the clock of the moment it is sent."""

from __future__ import annotations

from typing import Any

from entrypoints.http.middleware.dates import DatedAnswers, http_date

NOW = 1_764_000_000.75  # Mon, 24 Nov 2025 16:00:00 GMT


def answering(headers: list[tuple[bytes, bytes]]) -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"{}"})

    return app


async def sent_by(app: Any, scope_type: str = "http") -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    dated: Any = DatedAnswers(app, clock=lambda: NOW)
    await dated({"type": scope_type}, None, send)
    return sent


async def test_an_answer_without_a_date_gets_the_current_second() -> None:
    headers = [(b"content-type", b"application/json")]
    start, body = await sent_by(answering(headers))
    assert start["headers"] == [(b"date", b"Mon, 24 Nov 2025 16:00:00 GMT"), *headers]
    assert headers == [(b"content-type", b"application/json")]  # the app's list is not changed
    assert body["body"] == b"{}"


async def test_an_answer_with_its_own_date_keeps_it_and_gets_no_second_one() -> None:
    own = [(b"Date", http_date(1_700_000_000)), (b"etag", b'"x"')]
    start, _ = await sent_by(answering(own))
    assert start["headers"] == own


async def test_what_is_not_http_passes_untouched() -> None:
    start, _ = await sent_by(answering([]), scope_type="websocket")
    assert start["headers"] == []
