"""Redis cache: one key per city holding a compact envelope, so a hit is one GET."""

from __future__ import annotations

from adapters.redis.batch import BatchedGets
from adapters.redis.decoded_entries import DecodedEntries
from adapters.redis.decoding import decoded_or_miss
from adapters.redis.envelope import decode_location, encode_entry, encode_location
from adapters.redis.errors import REDIS_ERRORS, unavailable_on_error
from adapters.redis.keys import location_key, weather_key
from adapters.redis.topology import RedisClient
from domain.model.entry import CacheEntry
from domain.model.weather import Location
from ports.cache import LocationStore, StoreHealth, WeatherStore
from ports.metrics import Metrics

# One round trip, atomic: the stored entry's fence is read and compared where it lives.
# It is the envelope's 11th element (envelope.py); an envelope without one, one that does
# not unpack, or a key of another type (pcall: GET's error) has fence 0 and is replaced.
# An entry from an older fetch is refused (returns 0).
_PUT_FENCED = """
local held = redis.pcall('GET', KEYS[1])
if type(held) == 'string' then
  local ok, env = pcall(cmsgpack.unpack, held)
  local fence = ok and type(env) == 'table' and tonumber(env[11]) or 0
  if fence > tonumber(ARGV[2]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
if ARGV[4] ~= '' then redis.call('PUBLISH', ARGV[4], KEYS[1] .. ARGV[1]) end
return 1
"""
# A purge, told on the same channel: the key's name alone (copy_messages.py).
_DELETE_TOLD = """
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', ARGV[1], KEYS[1])
"""


def _px(ttl_s: float) -> int:
    # PX 0 is an error in Redis; the shortest TTL we ask for is one millisecond.
    return max(round(ttl_s * 1000), 1)


class RedisCache(WeatherStore, LocationStore, StoreHealth):
    """Keys are built from the normalised key only (adapters/redis/keys.py). Unreadable
    values are misses, counted as CORRUPT_ENTRIES on `metrics` when one is given. With
    `copies_channel`, each write that lands and each delete is published there, in the
    same script, for every process's last good copies (copies_feed.py)."""

    def __init__(
        self, client: RedisClient, *, metrics: Metrics | None = None, copies_channel: str = ""
    ) -> None:
        self._client = client
        self._copies_channel = copies_channel
        self._delete_told = client.register_script(_DELETE_TOLD)
        self._gets = BatchedGets(client)  # concurrent hits share one round trip
        self._metrics = metrics
        self._decoded = DecodedEntries()
        self._put_fenced = client.register_script(_PUT_FENCED)

    async def get(self, key: str) -> CacheEntry | None:
        name = weather_key(key)
        return decoded_or_miss(
            await self._read(name), lambda raw: self._decoded.decode(name, raw), self._metrics
        )

    async def put(self, key: str, entry: CacheEntry, ttl_s: float) -> None:
        """Refused, silently, when the entry stored comes from a newer fetch (fence)."""
        args = (encode_entry(entry), entry.fence, _px(ttl_s), self._copies_channel)
        with unavailable_on_error("SET"):
            await self._put_fenced(keys=[weather_key(key)], args=args)

    async def ping(self) -> bool:
        try:
            return bool(await self._client.ping())
        except REDIS_ERRORS:
            return False

    async def delete(self, key: str) -> None:
        with unavailable_on_error("DEL"):
            if self._copies_channel:
                await self._delete_told(keys=[weather_key(key)], args=[self._copies_channel])
            else:
                await self._client.delete(weather_key(key))

    async def get_location(self, key: str) -> Location | None:
        return decoded_or_miss(await self._read(location_key(key)), decode_location, self._metrics)

    async def put_location(self, key: str, location: Location, ttl_s: float) -> None:
        await self._write(location_key(key), encode_location(location), ttl_s)

    async def _read(self, name: str) -> bytes | None:
        with unavailable_on_error("GET"):
            raw: bytes | None = await self._gets.get(name)
        return raw

    async def _write(self, name: str, raw: bytes, ttl_s: float) -> None:
        with unavailable_on_error("SET"):
            await self._client.set(name, raw, px=_px(ttl_s))
