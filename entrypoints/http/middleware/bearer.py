"""The bearer-token guard of the cache admin routes (ADMIN_TOKEN) and of /metrics
(METRICS_TOKEN): the token compared in constant time, never logged."""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Guard

log = logging.getLogger("skycache.admin")

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="skycache"'}


def bearer_guard(token: str) -> Guard:
    """401 without `Authorization: Bearer ...`, 403 with any token but `token`."""
    # Digests compared, so that neither the time taken nor an early exit on a length
    # mismatch tells anything about the token.
    expected = hashlib.sha256(token.encode()).digest()

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        scheme, __, given = connection.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            raise NotAuthorizedException("a bearer token is required", headers=_CHALLENGE)
        digest = hashlib.sha256(given.strip().encode()).digest()
        if not hmac.compare_digest(digest, expected):
            log.warning("admin token refused", extra={"client": client_of(connection)})
            raise PermissionDeniedException("the token is not valid")

    return guard


def client_of(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    return connection.client.host if connection.client else "unknown"
