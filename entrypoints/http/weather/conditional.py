"""Conditional requests: whether a request's validators still match an answer, so that
it gets a 304 with no body (RFC 9110 13.2.2)."""

from __future__ import annotations

from collections.abc import Iterable
from email.utils import parsedate_to_datetime


def not_modified(headers: Iterable[tuple[bytes, bytes]], tag: bytes, modified: bytes) -> bool:
    """RFC 9110 13.2.2: If-None-Match decides when present (weak comparison, so a W/ tag
    a cache weakened still matches); If-Modified-Since only without it."""
    since = None
    for name, value in headers:
        if name == b"if-none-match":
            return _matches(value, tag)
        if name == b"if-modified-since":
            since = value
    return since is not None and _not_after(modified, since)


def _matches(value: bytes, tag: bytes) -> bool:
    for candidate in value.split(b","):
        candidate = candidate.strip()
        if candidate == b"*" or candidate.removeprefix(b"W/") == tag:
            return True
    return False


def _not_after(modified: bytes, since: bytes) -> bool:
    try:
        return parsedate_to_datetime(modified.decode()) <= parsedate_to_datetime(
            since.decode("latin-1")
        )
    except (TypeError, ValueError, IndexError):  # an unreadable date is ignored (RFC 9110)
        return False
