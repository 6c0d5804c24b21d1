"""The Lua scripts behind `RedisLimits`: each judgement or update is one atomic step in Redis.

A client record is a hash `f` (consecutive failures), `l` (last failure), `u` (blocked
until), `x` (exempt from the global budget until), times in seconds since the epoch from
the app's clock, written with %.17g so they read back exactly. The rules are those of
app/ratelimit/policy.py, in the same order; tests run the same HTTP scenarios on both.
"""

# Shared head: `now`, a record reader that drops faded records, exact number formatting.
_HEAD = """
local now = tonumber(ARGV[1])
local fade = tonumber(ARGV[2])
local function num(n) return string.format('%.17g', n) end
local function record(key)
  local v = redis.call('HMGET', key, 'f', 'l', 'u', 'x')
  if not v[1] then return nil end
  local r = {f = tonumber(v[1]), l = tonumber(v[2]), u = tonumber(v[3]), x = tonumber(v[4])}
  if now - r.l >= fade and r.u <= now and r.x <= now then redis.call('DEL', key) return nil end
  return r
end
local function unreserve(busy, pending, id)
  if redis.call('GET', busy) == id then redis.call('DEL', busy) end
  redis.call('ZREM', pending, id)
end
"""

# KEYS: device record, device busy, address record, address busy, global failures, pending checks
# ARGV: now, fade, has device (1/0), ban after, budget count, budget window, hold ms, attempt id, reserve ms
# Returns {trusted, counts global, reserved, blocked until}.
# A reservation is made for `hold ms` only (twice the client's socket timeout): the client confirms it
# (CONFIRM) as soon as it has this answer. A script that Redis runs only after the client gave up
# (Redis stalled, the call timed out) is never confirmed, so its reservation lapses within `hold ms`
# instead of refusing the client's next attempts for 30 s.
JUDGE = _HEAD + """
local ban_after, budget, window = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local function reserve(busy)
  if redis.call('SET', busy, ARGV[8], 'NX', 'PX', ARGV[7]) then return 1 end
  return 0
end
if ARGV[3] == '1' then
  local d = record(KEYS[1])
  if not (d and d.f >= ban_after and d.u > now) then
    if d and d.u > now then return {1, 0, 0, num(d.u)} end
    return {1, 0, reserve(KEYS[2]), '0'}
  end
end
local r = record(KEYS[3])
local blocked = r and r.u or 0
local counts = not (r and r.x > now)
if counts then
  redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', num(now - window))
  redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', num(now))
  if redis.call('ZCARD', KEYS[5]) + redis.call('ZCARD', KEYS[6]) >= budget then
    local oldest = redis.call('ZRANGE', KEYS[5], 0, 0, 'WITHSCORES')
    blocked = math.max(blocked, oldest[2] and tonumber(oldest[2]) + window or now + 1)
  end
end
local counted = counts and 1 or 0
if blocked > now then return {0, counted, 0, num(blocked)} end
local reserved = reserve(KEYS[4])
if reserved == 1 and counts then
  redis.call('ZADD', KEYS[6], num(now + tonumber(ARGV[7]) / 1000), ARGV[8])
  redis.call('PEXPIRE', KEYS[6], ARGV[9])
end
return {0, counted, reserved, '0'}
"""

# KEYS: busy, pending checks. ARGV: now, fade, attempt id, reserve ms.
# Returns 1 when the attempt's reservation was still there and now holds for `reserve ms`, else 0.
CONFIRM = _HEAD + """
if redis.call('GET', KEYS[1]) ~= ARGV[3] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
if redis.call('ZSCORE', KEYS[2], ARGV[3]) then
  redis.call('ZADD', KEYS[2], 'XX', num(now + tonumber(ARGV[4]) / 1000), ARGV[3])
  redis.call('PEXPIRE', KEYS[2], ARGV[4])
end
return 1
"""

# KEYS: record, busy, global failures, pending checks
# ARGV: now, fade, success (1/0), counts global (1/0), attempt id, ban after, ban seconds,
#       budget count, budget window, backoff steps...
# Returns the consecutive failures after this outcome.
SETTLE = _HEAD + """
unreserve(KEYS[2], KEYS[4], ARGV[5])
local r = record(KEYS[1]) or {f = 0, l = 0, u = 0, x = 0}
if ARGV[3] == '1' then
  if r.x > now then
    redis.call('HSET', KEYS[1], 'f', 0, 'l', 0, 'u', 0, 'x', num(r.x))
    redis.call('PEXPIRE', KEYS[1], string.format('%d', math.ceil((r.x - now) * 1000)))
  else
    redis.call('DEL', KEYS[1])
  end
  return 0
end
local f = r.f + 1
local blocked
if f >= tonumber(ARGV[6]) then
  blocked = now + tonumber(ARGV[7])
else
  blocked = now + tonumber(ARGV[9 + math.min(f, #ARGV - 9)])
end
redis.call('HSET', KEYS[1], 'f', f, 'l', num(now), 'u', num(blocked), 'x', num(r.x))
local keep = math.max(blocked, now + fade, r.x) - now
redis.call('PEXPIRE', KEYS[1], string.format('%d', math.ceil(keep * 1000)))
if ARGV[4] == '1' then
  local budget, window = tonumber(ARGV[8]), tonumber(ARGV[9])
  redis.call('ZADD', KEYS[3], num(now), ARGV[5])
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', num(now - window))
  redis.call('ZREMRANGEBYRANK', KEYS[3], 0, -budget - 1)
  redis.call('PEXPIRE', KEYS[3], string.format('%d', window * 1000))
end
return f
"""

# KEYS: busy, pending checks. ARGV: now, fade, attempt id.
RELEASE = _HEAD + """
unreserve(KEYS[1], KEYS[2], ARGV[3])
return 1
"""
