"""The lease scripts: each is one round trip and atomic, so no holder can change between
check and act."""

# KEYS[2], the dataset's marker (lease_epoch.py), is passed on one node and on a Sentinel
# set: "<id>:<when it was set, in ms>". ARGV[3] is the first dataset this process saw, ARGV[4]
# an id for a new marker, ARGV[5] the quiet period in ms. A lease won is fenced with
# Redis' clock, one clock for every host (TIME after a write: scripts replicate effects).
_NOW_AND_DATASET = """
local now = redis.call('TIME')
now = now[1] * 1000 + math.floor(now[2] / 1000)
local function dataset(key, id)
  local epoch = redis.call('GET', key)
  if not epoch then
    epoch = id .. ':' .. string.format('%d', now)
    redis.call('SET', key, epoch)
  end
  return epoch
end
"""
ACQUIRE = (
    _NOW_AND_DATASET
    + """
local epoch = ''
if KEYS[2] then
  epoch = dataset(KEYS[2], ARGV[4])
  if ARGV[3] ~= '' and epoch ~= ARGV[3] then
    local quiet = tonumber(string.match(epoch, ':(%d+)$') or 0) + ARGV[5] - now
    if quiet > 0 then return {0, quiet, epoch} end
  end
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {1, now, epoch} end
return {0, redis.call('PTTL', KEYS[1]), epoch}
"""
)
# A lease that is gone (Redis restarted empty, or it lapsed and nobody took it) is set
# again for its holder, who is still fetching; one another took is left alone.
EXTEND = """
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if holder then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""
# Only the owner's release is announced: a lapsed lease must not wake anyone. ARGV[2] is
# PUBLISH or, on a cluster, SPUBLISH; the channel ARGV[3] is in KEYS[1]'s slot.
RELEASE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call(ARGV[2], ARGV[3], ARGV[4])
return 1
"""


# KEYS[1] the marker, ARGV[1] the first dataset seen, ARGV[2] an id for a new marker.
DATASET = (
    _NOW_AND_DATASET
    + """
return dataset(KEYS[1], ARGV[2])
"""
)
