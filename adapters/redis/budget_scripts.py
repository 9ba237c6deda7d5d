"""The Lua scripts of the shared budget windows (adapters/redis/budget.py).

All the state of one name is one hash, read whole once and written at most once a call:
`created`, `w:<worker>` (who has put back its spend since the hash was made: the time of
that, or of its last spend since; `1`, from an older version, is never pruned), the
closure's `until` and `probe_at`, and `<window>:<bucket>` counts. Its expiry is set when
the hash is made or a worker puts its spend back, and then only when a bucket begins
that the expiry set so far may not outlive (see docs/BENCHMARKS.md for what it saves).
"""

# KEYS[1]: the name's hash. ARGV: now, cost, probe_every_s, worker, shares, settle (0/1),
# this worker's closure (until, probe_at; 0 for none), then per window: label, period_s,
# bucket_s, ceiling, this worker's own ceiling, and its n buckets as n, (bucket, count)...
# Returns {granted (0/1), probe (0/1), wait_s as a string}.
SPEND = """
local key, now, cost = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2])
local windows, by_label, at, shortest, longest, reach = {}, {}, 9, nil, 0, 0
while ARGV[at] do
  local w = {label = ARGV[at], period = tonumber(ARGV[at + 1]), width = tonumber(ARGV[at + 2]),
             ceiling = tonumber(ARGV[at + 3]), own = tonumber(ARGV[at + 4]), mine = {}, counts = {}}
  local n = tonumber(ARGV[at + 5])
  at = at + 6
  for j = 1, n do
    w.mine[j] = {tonumber(ARGV[at]), tonumber(ARGV[at + 1])}
    at = at + 2
  end
  w.oldest = math.floor((now - w.period) / w.width)
  w.ttl = math.ceil((w.period + w.width) * 1000)
  w.current = math.floor(now / w.width)
  windows[#windows + 1] = w
  by_label[w.label] = w
  shortest = math.min(shortest or w.period, w.period)
  if w.ttl > longest then longest, reach = w.ttl, w.ttl - math.ceil(w.width * 1000) end
end
local state, stale, workers = {}, {}, 0
local flat = redis.call('HGETALL', key)
for j = 1, #flat, 2 do
  local label, bucket = string.match(flat[j], '^(.+):(%-?%d+)$')
  local w = label and label ~= 'w' and by_label[label]
  if w and tonumber(bucket) < w.oldest then
    stale[#stale + 1] = flat[j]
  elseif w then
    w.counts[tonumber(bucket)] = tonumber(flat[j + 1])
  elseif string.sub(flat[j], 1, 2) == 'w:' and tonumber(flat[j + 1]) > 1
      and now - tonumber(flat[j + 1]) > longest / 1000 then
    -- A worker that has spent nothing for longer than every window: none of its spend is
    -- left to put back, so its mark goes (restarted workers' marks would pile up).
    stale[#stale + 1] = flat[j]
  else
    state[flat[j]] = flat[j + 1]
    if string.sub(flat[j], 1, 2) == 'w:' then workers = workers + 1 end
  end
end
local put, extend = {}, state.created == nil
local created = tonumber(state.created) or now
if extend then put.created = ARGV[1] end
local me = 'w:' .. ARGV[4]
if not state[me] then
  -- First call of this worker since the hash was made: if Redis lost it (FLUSHDB, a
  -- restart empty), what this worker spent is put back, and so is its closure.
  put[me], workers, extend = ARGV[1], workers + 1, true
  for _, w in ipairs(windows) do
    for _, pair in ipairs(w.mine) do
      if pair[1] >= w.oldest then
        w.counts[pair[1]] = (w.counts[pair[1]] or 0) + pair[2]
        put[w.label .. ':' .. string.format('%d', pair[1])] = string.format('%d', w.counts[pair[1]])
      end
    end
  end
  if tonumber(ARGV[7]) > now and not ((tonumber(state['until']) or 0) > now) then
    put['until'], put.probe_at = ARGV[7], ARGV[8]
    state['until'], state.probe_at = ARGV[7], ARGV[8]
  end
end
local function finish(reply)
  local expiry = math.max(longest, 1000, math.ceil(((tonumber(state['until']) or 0) - now) * 1000))
  if #stale > 0 then redis.call('HDEL', key, unpack(stale)) end
  local flat_put = {}
  for field, value in pairs(put) do
    flat_put[#flat_put + 1] = field
    flat_put[#flat_put + 1] = value
  end
  if #flat_put > 0 then redis.call('HSET', key, unpack(flat_put)) end
  if extend then redis.call('PEXPIRE', key, expiry) end
  return reply
end
-- Until every worker has put its spend back (or a shortest window has passed), each may
-- spend only its share: the others' spend may still be missing from the count.
local settling = ARGV[6] == '1' and now < created + (shortest or 0) and workers < tonumber(ARGV[5])
local probe = 0
local closed_until = tonumber(state['until'])
if closed_until and now < closed_until then
  local probe_at = tonumber(state.probe_at) or 0
  if now < probe_at then
    return finish({0, 0, tostring(math.min(probe_at, closed_until) - now)})
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
  local used, buckets = 0, {}
  for bucket, count in pairs(w.counts) do
    used = used + count
    buckets[#buckets + 1] = {bucket, count}
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
  return finish({0, 0, tostring(wait)})
end
for _, w in ipairs(windows) do
  -- A new bucket must outlive its window. The expiry set when the longest window's
  -- current bucket began (less than one of its buckets ago) covers every window shorter
  -- by at least that bucket; a new bucket of any other window sets it again.
  if not w.counts[w.current] and w.ttl > reach then extend = true end
  w.counts[w.current] = (w.counts[w.current] or 0) + cost
  put[w.label .. ':' .. string.format('%d', w.current)] = string.format('%d', w.counts[w.current])
end
put[me] = ARGV[1]  -- when this worker last spent: its mark's age says when it may go
if probe == 1 then
  put.probe_at = tostring(now + tonumber(ARGV[3]))
end
return finish({1, probe, '0'})
"""

# KEYS[1]: the name's hash; ARGV: until, probe_at, the closure's length in ms. The hash
# lives at least as long as the closure, and no less long than its windows need.
CLOSE = """
redis.call('HSET', KEYS[1], 'until', ARGV[1], 'probe_at', ARGV[2])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return 0
"""

# KEYS[1]: the name's hash; ARGV: at, cost, then per window: label, bucket_s.
REFUND = """
local fields = {}
for i = 3, #ARGV, 2 do
  local bucket = math.floor(tonumber(ARGV[1]) / tonumber(ARGV[i + 1]))
  fields[#fields + 1] = ARGV[i] .. ':' .. string.format('%d', bucket)
end
if #fields == 0 then return 0 end
local have, put = redis.call('HMGET', KEYS[1], unpack(fields)), {}
for i, field in ipairs(fields) do
  local n = tonumber(have[i]) or 0
  if n > 0 then
    put[#put + 1] = field
    put[#put + 1] = string.format('%d', n - math.min(n, tonumber(ARGV[2])))
  end
end
if #put > 0 then redis.call('HSET', KEYS[1], unpack(put)) end
return 0
"""
