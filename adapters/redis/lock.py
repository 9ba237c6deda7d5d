"""Redis lock: a SET NX PX lease per key, released with a PUBLISH that wakes the waiters.

Waiters learn of a release through pub/sub. On one node, one pattern subscription per
process costs no connection per waiter (BLPOP would hold a pooled connection for each)
and no per-waiter SUBSCRIBE commands. A pattern has no sharded form, and a PUBLISH on a
cluster is sent to every node: there, the release SPUBLISHes in the city's slot and each
process SSUBSCRIBEs the cities it waits for (sharded_wakeups.py). A lost message only
delays a waiter: the domain re-checks at lease expiry, which is the safety net.
"""

from __future__ import annotations

import functools
import secrets
from typing import Any, Protocol

from redis.asyncio.cluster import RedisCluster
from redis.commands.core import AsyncScript

from adapters.lease import BoundLease
from adapters.redis.client import unavailable_on_error
from adapters.redis.keys import (
    CHANNEL_HEAD,
    CHANNEL_TAIL,
    LEASE_EPOCH_KEY,
    done_channel,
    lease_key,
)
from adapters.redis.lease_epoch import QUIET_S, LeaseEpoch
from adapters.redis.sharded_wakeups import ShardedWakeups
from adapters.redis.topology import RedisClient
from adapters.redis.wakeups import Wakeups
from ports.lock import Held, Lease, Lock, Signal, Watch

# Each script is one round trip and atomic, so no holder can change between check and act.
# KEYS[2], the dataset's marker (lease_epoch.py), is passed on one node and on a Sentinel
# set: "<id>:<when it was set, in ms>". ARGV[3] is the first dataset this process saw, ARGV[4]
# an id for a new marker, ARGV[5] the quiet period in ms. A lease won is fenced with
# Redis' clock, one clock for every host (TIME after a write: scripts replicate effects).
_ACQUIRE = """
local now = redis.call('TIME')
now = now[1] * 1000 + math.floor(now[2] / 1000)
local epoch = ''
if KEYS[2] then
  epoch = redis.call('GET', KEYS[2])
  if not epoch then
    epoch = ARGV[4] .. ':' .. string.format('%d', now)
    redis.call('SET', KEYS[2], epoch)
  end
  if ARGV[3] ~= '' and epoch ~= ARGV[3] then
    local quiet = tonumber(string.match(epoch, ':(%d+)$') or 0) + ARGV[5] - now
    if quiet > 0 then return {0, quiet, epoch} end
  end
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {1, now, epoch} end
return {0, redis.call('PTTL', KEYS[1]), epoch}
"""
# A lease that is gone (Redis restarted empty, or it lapsed and nobody took it) is set
# again for its holder, who is still fetching; one another took is left alone.
_EXTEND = """
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if holder then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""
# Only the owner's release is announced: a lapsed lease must not wake anyone. ARGV[2] is
# PUBLISH or, on a cluster, SPUBLISH; the channel ARGV[3] is in KEYS[1]'s slot.
_RELEASE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call(ARGV[2], ARGV[3], ARGV[4])
return 1
"""


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
        self._acquire_script = client.register_script(_ACQUIRE)
        self._extend_script = client.register_script(_EXTEND)
        self._release_script = client.register_script(_RELEASE)

    async def start(self) -> None:
        """Subscribe now rather than on first use (optional)."""
        await self._wakeups.ready(self._subscribe_timeout_s)

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
