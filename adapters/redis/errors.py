"""The one translation of redis-py's (and the socket's) exceptions into the domain's
CacheUnavailable: every Redis adapter's calls go through it."""

from __future__ import annotations

from redis.exceptions import RedisClusterException, RedisError

from domain.model.errors import CacheUnavailable

# OSError includes TimeoutError. RedisClusterException is not a RedisError: a cluster none
# of whose nodes answers (while reading its slot map) raises only that.
REDIS_ERRORS = (RedisError, RedisClusterException, OSError)


class unavailable_on_error:  # lower case: it reads as a function at its call sites
    """One Redis call (`with unavailable_on_error("GET"): ...`): no redis or socket
    exception crosses a port, they become CacheUnavailable. The breaker's guarded call
    extends it, hearing through ended() how each call went.

    A class, not @contextmanager: it wraps every Redis call, where a generator-based
    context manager's extra cost shows on a hit (docs/BENCHMARKS.md, "What keeps a hit cheap").
    """

    __slots__ = ("_what",)

    def __init__(self, what: str) -> None:
        self._what = what

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, _tb: object
    ) -> None:
        if error is None:
            self.ended(True)
        elif isinstance(error, REDIS_ERRORS):
            self.ended(False)
            raise CacheUnavailable(f"redis {self._what} failed: {type(error).__name__}") from error
        else:
            # Already translated by an adapter this call wraps: a failure. Anything else (a
            # cancellation, a bug) says nothing about Redis' health.
            self.ended(False if isinstance(error, CacheUnavailable) else None)

    def ended(self, healthy: bool | None) -> None:
        """How the call ended: Redis answered (True), failed or could not be reached
        (False), or neither (None)."""
