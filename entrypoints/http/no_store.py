"""The Cache-Control of answers that hold only for their moment: /stats, /healthz, /livez,
/readyz, /metrics, /weather/batch."""

from __future__ import annotations

from litestar import get
from litestar.datastructures import CacheControlHeader
from litestar.openapi.datastructures import ResponseSpec

NO_STORE = CacheControlHeader(no_store=True)


def get_of_the_moment(path: str, summary: str, answers: dict[int, ResponseSpec]) -> get:
    """A GET route whose answer no cache downstream may keep: a state read as it is now."""
    return get(path, cache_control=NO_STORE, summary=summary, responses=answers)
