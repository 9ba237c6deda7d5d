"""The Lua scripts of the shared budget windows (adapters/redis/budget.py)."""

# KEYS[1]: the closure hash (until, probe_at); KEYS[2]: the workers hash (who has put back
# its spend since the keys were made, and when they were); KEYS[3..]: one hash of buckets
# per window. ARGV: now, cost, probe_every_s, worker, shares, settle (0/1), this worker's
# closure (until, probe_at; 0 for none), then per window: period_s, bucket_s, ceiling, this
# worker's own ceiling, and its n buckets as n then (bucket, count) pairs.
# Returns {granted (0/1), probe (0/1), wait_s as a string}.
SPEND = """
local now, cost = tonumber(ARGV[1]), tonumber(ARGV[2])
local windows, at, shortest = {}, 9, nil
for i = 3, #KEYS do
  local w = {key = KEYS[i], period = tonumber(ARGV[at]), width = tonumber(ARGV[at + 1]),
             ceiling = tonumber(ARGV[at + 2]), own = tonumber(ARGV[at + 3]), mine = {}}
  local n = tonumber(ARGV[at + 4])
  at = at + 5
  for j = 1, n do
    w.mine[j] = {tonumber(ARGV[at]), tonumber(ARGV[at + 1])}
    at = at + 2
  end
  w.oldest = math.floor((now - w.period) / w.width)
  w.ttl = math.ceil((w.period + w.width) * 1000)
  windows[#windows + 1] = w
  shortest = math.min(shortest or w.period, w.period)
end
local created = tonumber(redis.call('HGET', KEYS[2], 'created'))
if not created then
  created = now
  redis.call('HSET', KEYS[2], 'created', ARGV[1])
end
if redis.call('HSETNX', KEYS[2], 'w:' .. ARGV[4], 1) == 1 then
  -- First call of this worker since the keys were made: if Redis lost them (FLUSHDB, a
  -- restart empty), what this worker spent is put back, and so is its closure.
  for _, w in ipairs(windows) do
    for _, pair in ipairs(w.mine) do
      if pair[1] >= w.oldest then
        redis.call('HINCRBY', w.key, string.format('%d', pair[1]), pair[2])
        redis.call('PEXPIRE', w.key, w.ttl)
      end
    end
  end
  local shut = tonumber(ARGV[7])
  if shut > now and redis.call('EXISTS', KEYS[1]) == 0 then
    redis.call('HSET', KEYS[1], 'until', ARGV[7], 'probe_at', ARGV[8])
    redis.call('EXPIRE', KEYS[1], math.max(math.ceil(shut - now), 1))
  end
end
local longest = 0
for _, w in ipairs(windows) do longest = math.max(longest, w.ttl) end
redis.call('PEXPIRE', KEYS[2], math.max(longest, 1000))
-- Until every worker has put its spend back (or a shortest window has passed), each may
-- spend only its share: the others' spend may still be missing from the count.
local settling = ARGV[6] == '1' and now < created + (shortest or 0)
  and redis.call('HLEN', KEYS[2]) - 1 < tonumber(ARGV[5])
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
local function wait_for(buckets, used, ceiling, w)
  local excess = used + cost - ceiling
  if excess <= 0 then return 0 end
  if cost > ceiling then return w.period end
  table.sort(buckets, function(a, b) return a[1] < b[1] end)
  for _, pair in ipairs(buckets) do
    excess = excess - pair[2]
    if excess <= 0 then return (pair[1] + 1) * w.width + w.period - now end
  end
  return w.period
end
local wait = 0
for _, w in ipairs(windows) do
  local flat = redis.call('HGETALL', w.key)
  local used, buckets = 0, {}
  for j = 1, #flat, 2 do
    local bucket, count = tonumber(flat[j]), tonumber(flat[j + 1])
    if bucket < w.oldest then
      redis.call('HDEL', w.key, flat[j])
    else
      used = used + count
      buckets[#buckets + 1] = {bucket, count}
    end
  end
  wait = math.max(wait, wait_for(buckets, used, w.ceiling, w))
  if settling then
    local own, mine = 0, {}
    for _, pair in ipairs(w.mine) do
      if pair[1] >= w.oldest then
        own = own + pair[2]
        mine[#mine + 1] = pair
      end
    end
    wait = math.max(wait, wait_for(mine, own, w.own, w))
  end
end
if wait > 0 then
  return {0, 0, tostring(wait)}
end
for _, w in ipairs(windows) do
  redis.call('HINCRBY', w.key, string.format('%d', math.floor(now / w.width)), cost)
  redis.call('PEXPIRE', w.key, w.ttl)
end
if probe == 1 then
  redis.call('HSET', KEYS[1], 'probe_at', tostring(now + tonumber(ARGV[3])))
end
return {1, probe, '0'}
"""

# KEYS: one hash of buckets per window; ARGV: at, cost, then bucket_s per window.
REFUND = """
for i = 1, #KEYS do
  local field = string.format('%d', math.floor(tonumber(ARGV[1]) / tonumber(ARGV[i + 2])))
  local have = tonumber(redis.call('HGET', KEYS[i], field)) or 0
  if have > 0 then
    redis.call('HINCRBY', KEYS[i], field, -math.min(have, tonumber(ARGV[2])))
  end
end
return 0
"""
