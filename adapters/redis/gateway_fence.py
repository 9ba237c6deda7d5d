"""The gateway store's fenced write: a part from an older fetch never replaces a newer one."""

# Atomic per part, one script call per part, pipelined: a batch of parts is one round
# trip (on a cluster one per shard, sent together). The stored part's fence is read where
# it lives without reading its body, which may be megabytes: GETRANGE reads the
# envelope's head (gateway_envelope.py: the msgpack array [1, fetched, fresh, stale,
# provider, status, body, fence]) as far as the body's length, then the fence after the
# body. An envelope without a fence (7 elements), one that does not parse (pcall), or a
# key of another type has fence 0 and is replaced. ARGV: the envelope, its fence, PX.
# Returns nil when written; when refused, the stored envelope: the newer part to answer.
PUT_FENCED = """
local function be(s, i, size)
  local n = 0
  for j = i, i + size - 1 do n = n * 256 + string.byte(s, j) end
  return n
end
local INT = {[0xcc] = 1, [0xcd] = 2, [0xce] = 4, [0xcf] = 8,
             [0xd0] = 1, [0xd1] = 2, [0xd2] = 4, [0xd3] = 8}
local LEN = {[0xd9] = 1, [0xda] = 2, [0xdb] = 4, [0xc4] = 1, [0xc5] = 2, [0xc6] = 4}
local function int_at(s, i)
  local b = string.byte(s, i)
  if b < 0x80 then return b, i + 1 end
  if b >= 0xe0 then return 0, i + 1 end
  return be(s, i + 1, INT[b]), i + 1 + INT[b]
end
local function after_bytes(s, i)
  local b = string.byte(s, i)
  if b >= 0xa0 and b <= 0xbf then return i + 1 + b - 0xa0 end
  return i + 1 + LEN[b] + be(s, i + 1, LEN[b])
end
local function held_fence(head)
  local count = string.byte(head, 1) - 0x90
  if count < 8 or count > 15 or string.byte(head, 2) ~= 1 then return 0 end
  local _, i = int_at(head, 3)
  _, i = int_at(head, i)
  _, i = int_at(head, i)
  i = after_bytes(head, i)
  _, i = int_at(head, i)
  i = after_bytes(head, i)
  return (int_at(redis.call('GETRANGE', KEYS[1], i - 1, i + 7), 1))
end
local head = redis.pcall('GETRANGE', KEYS[1], 0, 255)
if type(head) == 'string' and #head > 0 then
  local ok, fence = pcall(held_fence, head)
  if ok and fence > tonumber(ARGV[2]) then return redis.call('GET', KEYS[1]) end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return false
"""
