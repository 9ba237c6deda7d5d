"""The UpstreamCall an HTTP request is made for, riding on the request to the transports.

Providers put it on each request (`extensions`, which httpx hands every transport); the
budget's transport reads its priority and counts the call, the tracing transport records
the priority. Of no adapter family: both the providers' and observability's transports
read it."""

from __future__ import annotations

from typing import Any

import httpx

from domain.model.admission import UpstreamCall

CALL = "skycache.call"


def carrying(call: UpstreamCall, extensions: dict[str, Any] | None = None) -> dict[str, Any]:
    """A request's extensions, with `call` on them."""
    return {**(extensions or {}), CALL: call}


def call_of(request: httpx.Request) -> UpstreamCall:
    """The call a request was made for; one made outside any fetch counts as a name never
    seen (the lowest priority), and its count is kept by nobody."""
    found = request.extensions.get(CALL)
    return found if isinstance(found, UpstreamCall) else UpstreamCall()
