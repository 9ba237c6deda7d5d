"""The same sliding windows in Redis, so that every worker and instance shares them.

Written as one Lua script rather than with the `limits` library: a call must be checked
against every window (minute, hour, day) and counted in all of them or in none, at a
ceiling that depends on its priority, and refused with the time until it would fit;
`limits` checks one window per round trip, counts a refused second window's first one
anyway (a moving window cannot be given back), and keys each limit by its size, so the
priorities' ceilings could not share a count. The keys of one name share a hash tag:
on a Redis Cluster the script's keys are in one slot.
"""

from __future__ import annotations

import math

from adapters.redis.budget_windows import Ceiling, Verdict
from adapters.redis.client import unavailable_on_error
from adapters.redis.keys import BUDGET_PREFIX
from adapters.redis.topology import RedisClient

# KEYS[1]: the closure hash (until, probe_at); KEYS[2..]: one hash of buckets per window.
# ARGV: now, cost, probe_every_s, then (period_s, bucket_s, ceiling) per window.
# Returns {granted (0/1), probe (0/1), wait_s as a string}.
_SPEND = """
local now = tonumber(ARGV[1])
local cost = tonumber(ARGV[2])
local probe = 0
local closed = redis.call('HMGET', KEYS[1], 'until', 'probe_at')
local closed_until = tonumber(closed[1])
if closed_until and now < closed_until then
  local probe_at = tonumber(closed[2]) or 0
  if now < probe_at then
    return {0, 0, tostring(math.min(probe_at, closed_until) - now)}
  end
  probe = 1
end
local wait = 0
for i = 2, #KEYS do
  local at = 4 + (i - 2) * 3
  local period, width, ceiling = tonumber(ARGV[at]), tonumber(ARGV[at + 1]), tonumber(ARGV[at + 2])
  local oldest = math.floor((now - period) / width)
  local flat = redis.call('HGETALL', KEYS[i])
  local used, buckets = 0, {}
  for j = 1, #flat, 2 do
    local bucket, count = tonumber(flat[j]), tonumber(flat[j + 1])
    if bucket < oldest then
      redis.call('HDEL', KEYS[i], flat[j])
    else
      used = used + count
      buckets[#buckets + 1] = {bucket, count}
    end
  end
  local excess = used + cost - ceiling
  if excess > 0 then
    local w = period
    if cost <= ceiling then
      table.sort(buckets, function(a, b) return a[1] < b[1] end)
      for _, pair in ipairs(buckets) do
        excess = excess - pair[2]
        if excess <= 0 then
          w = (pair[1] + 1) * width + period - now
          break
        end
      end
    end
    wait = math.max(wait, w)
  end
end
if wait > 0 then
  return {0, 0, tostring(wait)}
end
for i = 2, #KEYS do
  local at = 4 + (i - 2) * 3
  local period, width = tonumber(ARGV[at]), tonumber(ARGV[at + 1])
  redis.call('HINCRBY', KEYS[i], string.format('%d', math.floor(now / width)), cost)
  redis.call('PEXPIRE', KEYS[i], math.ceil((period + width) * 1000))
end
if probe == 1 then
  redis.call('HSET', KEYS[1], 'probe_at', tostring(now + tonumber(ARGV[3])))
end
return {1, probe, '0'}
"""


class RedisWindows:
    """LocalWindows' twin (same rules, same answers), its state in Redis."""

    def __init__(
        self, client: RedisClient, *, probe_every_s: float, prefix: str = BUDGET_PREFIX
    ) -> None:
        self._client = client
        self._probe_every_s = probe_every_s
        self._prefix = prefix
        self._spend = client.register_script(_SPEND)

    def _key(self, name: str, suffix: str) -> str:
        return f"{self._prefix}{{{name}}}:{suffix}"

    async def spend(
        self, name: str, ceilings: tuple[Ceiling, ...], now: float, cost: int = 1
    ) -> Verdict:
        keys = [self._key(name, "closed"), *(self._key(name, c.limit.label) for c in ceilings)]
        args: list[str | int | float] = [repr(now), cost, repr(self._probe_every_s)]
        for c in ceilings:
            args += [repr(c.limit.period_s), repr(c.bucket_s), c.ceiling]
        with unavailable_on_error("budget script"):
            granted, probe, wait = await self._spend(keys=keys, args=args)
        return Verdict(bool(granted), probe=bool(probe), wait_s=float(wait))

    async def close(self, name: str, until: float, now: float) -> None:
        key = self._key(name, "closed")
        with unavailable_on_error("budget close"):
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.hset(key, mapping={"until": until, "probe_at": now + self._probe_every_s})
                pipe.expire(key, max(math.ceil(until - now), 1))
                await pipe.execute()

    async def reopen(self, name: str) -> None:
        with unavailable_on_error("budget reopen"):
            await self._client.delete(self._key(name, "closed"))
