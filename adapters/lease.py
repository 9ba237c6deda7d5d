"""BoundLease: a Lease made of the two acts of the lock that granted it.

Both locks hand them out, the in-memory one and the Redis one. It lives outside both adapter
packages so that neither imports the other.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from ports.lock import Lease, Signal


class BoundLease(Lease):
    """`extend` and `release` are the granting lock's, bound to the key, the holder's token
    and the lease's TTL: each acts only while that token still holds the key. `fence`: the
    granting lock's clock at acquisition, when it has one every host shares."""

    def __init__(
        self,
        extend: Callable[[], Awaitable[bool]],
        release: Callable[[Signal], Awaitable[None]],
        *,
        fence: int | None = None,
    ) -> None:
        self._extend = extend
        self._release = release
        self.fence = fence

    async def extend(self) -> bool:
        return await self._extend()

    async def release(self, signal: Signal) -> None:
        await self._release(signal)
