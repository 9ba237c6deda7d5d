"""Redis lock: a SET NX PX lease per key, released with a PUBLISH that wakes the waiters.

Waiters learn of a release through pub/sub. On one node, one pattern subscription per
process costs no connection per waiter (BLPOP would hold a pooled connection for each)
and no per-waiter SUBSCRIBE commands. A pattern has no sharded form, and a PUBLISH on a
cluster is sent to every node: there, the release SPUBLISHes in the city's slot and each
process SSUBSCRIBEs the cities it waits for (sharded_wakeups.py). A lost message only
delays a waiter: the domain re-checks at lease expiry, which is the safety net.

A lease carries Redis' clock at its grant (`fence`), and survives Redis restarting empty:
its holder's extend sets it again, and new leases wait a quiet period (lease_epoch.py).
"""

from __future__ import annotations

import functools
import secrets
from typing import Any, Protocol

from redis.asyncio.cluster import RedisCluster
from redis.commands.core import AsyncScript

from adapters.lease import BoundLease
from adapters.redis.errors import unavailable_on_error
from adapters.redis.keys import (
    CHANNEL_HEAD,
    CHANNEL_TAIL,
    LEASE_EPOCH_KEY,
    done_channel,
    lease_key,
)
from adapters.redis.lease_epoch import QUIET_S, LeaseEpoch
from adapters.redis.lease_scripts import ACQUIRE, DATASET, EXTEND, RELEASE
from adapters.redis.sharded_wakeups import ShardedWakeups
from adapters.redis.topology import RedisClient
from adapters.redis.wakeups import Wakeups
from ports.lock import Held, Lease, Lock, Signal, Watch


class _Wakeups(Protocol):
    def watch(self, key: str) -> Watch: ...

    async def ready(self, timeout_s: float, key: str | None = None) -> None: ...

    async def aclose(self) -> None: ...


def _ms(seconds: float) -> int:
    return max(round(seconds * 1000), 1)


class RedisLock(Lock):
    """Call `aclose()` on shutdown: it stops the subscription's reader task."""

    def __init__(
        self,
        client: RedisClient,
        *,
        subscribe_timeout_s: float = 1.0,
        restart_quiet_s: float = QUIET_S,
    ) -> None:
        self._wakeups: _Wakeups
        if isinstance(client, RedisCluster):
            self._wakeups = ShardedWakeups(client, CHANNEL_HEAD, CHANNEL_TAIL)
            self._publish = "SPUBLISH"
            self._epoch_keys: list[str] = []  # no key outside a city's slot on a cluster
        else:
            self._wakeups = Wakeups(client, CHANNEL_HEAD, CHANNEL_TAIL)
            self._publish = "PUBLISH"
            self._epoch_keys = [LEASE_EPOCH_KEY]
        self._epoch = LeaseEpoch(restart_quiet_s)
        self._subscribe_timeout_s = subscribe_timeout_s
        self._acquire_script = client.register_script(ACQUIRE)
        self._extend_script = client.register_script(EXTEND)
        self._release_script = client.register_script(RELEASE)
        self._dataset_script = client.register_script(DATASET)

    async def start(self) -> None:
        """Subscribe now rather than on first use (optional)."""
        await self._wakeups.ready(self._subscribe_timeout_s)

    async def note_dataset(self) -> None:
        """Learn Redis' dataset at start-up, so that a restart after it is seen as one even
        by a process that takes no lease before it (lease_epoch.py)."""
        if self._epoch_keys:
            with unavailable_on_error("lock dataset"):
                epoch = await self._dataset_script(keys=self._epoch_keys, args=self._epoch.args())
            self._epoch.saw(epoch)

    async def acquire(self, key: str, ttl_s: float) -> Lease | Held:
        # A watcher registered before this call must hear a release that follows a failed
        # acquire, so the subscription (on a cluster: this key's) has to be live first.
        await self._wakeups.ready(self._subscribe_timeout_s, key)
        token = secrets.token_hex(8)
        ttl_ms = _ms(ttl_s)
        args: list[str | int] = [token, ttl_ms, *self._epoch.args()]
        won, value, epoch = await self._run(self._acquire_script, key, args, self._epoch_keys)
        self._epoch.saw(epoch)
        if won:
            return BoundLease(
                extend=functools.partial(self._extend, key, token, ttl_ms),
                release=functools.partial(self._release, key, token),
                fence=int(value),
            )
        pttl = int(value)  # the lease's, or what is left of the quiet period after a restart
        # -1 is a lock without expiry, which we never set: assume a full lease.
        return Held(ttl_s=max(pttl, 1) / 1000 if pttl >= 0 else ttl_s)

    def watch(self, key: str) -> Watch:
        return self._wakeups.watch(key)

    async def aclose(self) -> None:
        await self._wakeups.aclose()

    async def _extend(self, key: str, token: str, ttl_ms: int) -> bool:
        return bool(await self._run(self._extend_script, key, [token, ttl_ms]))

    async def _release(self, key: str, token: str, signal: Signal) -> None:
        args: list[str | int] = [token, self._publish, done_channel(key), signal.value]
        await self._run(self._release_script, key, args)

    async def _run(
        self, script: AsyncScript, key: str, args: list[str | int], more: list[str] | None = None
    ) -> Any:
        with unavailable_on_error("lock script"):
            return await script(keys=[lease_key(key), *(more or ())], args=args)
